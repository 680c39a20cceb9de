"""HMS: appointment booking for clinics."""
