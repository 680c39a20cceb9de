"""Reading the email function's settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from email_service.settings import DEFAULT_MAIL_DIR, EmailSettings


@pytest.mark.parametrize(
    ("env", "security", "port"),
    [
        ({}, "starttls", 587),
        ({"SMTP_PORT": "465"}, "ssl", 465),
        ({"SMTP_PORT": "587"}, "starttls", 587),
        ({"SMTP_PORT": "2525"}, "starttls", 2525),
        ({"SMTP_SECURITY": "ssl"}, "ssl", 465),
        ({"SMTP_SECURITY": "PLAIN"}, "plain", 25),
        ({"SMTP_SECURITY": "plain", "SMTP_PORT": "1025"}, "plain", 1025),
    ],
)
def test_from_env_security_and_port_fill_each_other(env, security, port):
    """Whichever of SMTP_SECURITY and SMTP_PORT is missing follows the other."""
    settings = EmailSettings.from_env({"SMTP_HOST": "smtp.example.org", **env})

    assert (settings.smtp_security, settings.smtp_port) == (security, port)


def test_from_env_empty_values_count_as_unset():
    """Empty variables, as deploy tools pass them, fall back to defaults."""
    settings = EmailSettings.from_env(
        {"SMTP_HOST": "", "EMAIL_SERVICE_TOKEN": " ", "MAIL_DIR": ""}
    )

    assert settings.smtp_host is None
    assert settings.token is None
    assert settings.mail_dir == DEFAULT_MAIL_DIR


def test_from_env_reads_every_variable(tmp_path):
    """Every documented variable lands in its field."""
    settings = EmailSettings.from_env(
        {
            "SMTP_HOST": "smtp.example.org",
            "SMTP_PORT": "587",
            "SMTP_USER": "hms",
            "SMTP_PASSWORD": "pw",
            "SMTP_TIMEOUT": "3.5",
            "FROM_EMAIL": "Clinique Zoë <clinic@hms.example>",
            "MAIL_DIR": str(tmp_path),
            "EMAIL_SERVICE_TOKEN": "secret",
        }
    )

    assert settings.smtp_user == "hms"
    assert settings.smtp_password == "pw"
    assert settings.smtp_timeout == 3.5
    assert settings.sender.display_name == "Clinique Zoë"
    assert settings.sender.domain == "hms.example"
    assert settings.mail_dir == Path(tmp_path)
    assert settings.token == "secret"
    assert "pw" not in repr(settings) and "secret" not in repr(settings)


@pytest.mark.parametrize(
    "env",
    [
        {"SMTP_SECURITY": "tls"},
        {"SMTP_PORT": "smtp"},
        {"FROM_EMAIL": "nobody"},
        {"FROM_EMAIL": "a b@c.d"},
    ],
)
def test_from_env_unusable_value_raises(env):
    """A value that could never work fails at start, not at send time."""
    with pytest.raises(ValueError):
        EmailSettings.from_env(env)


def test_default_mail_dir_is_repo_var_mail():
    """The embedded default writes .eml files under <repo>/var/mail."""
    repo = Path(__file__).resolve().parents[2]

    assert repo / "var" / "mail" == DEFAULT_MAIL_DIR
