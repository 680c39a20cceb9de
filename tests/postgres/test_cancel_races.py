"""A patient cancelling while the doctor removes the same booked slot."""

import pytest

from hms.errors import HMSError
from hms.models import Appointment, AppointmentStatus, Slot, SlotState
from hms.services import availability, booking
from tests.factories import make_appointment, make_doctor, make_patient, make_slot

pytestmark = pytest.mark.postgres

ROUNDS = 15


def test_patient_cancel_and_doctor_remove_race_ends_cleanly(pg_session, run_race):
    """Each round: one of the two wins, the other gets a domain error, no deadlock."""
    doctor, patient = make_doctor(pg_session), make_patient(pg_session)

    for _ in range(ROUNDS):
        slot = make_slot(pg_session, doctor=doctor)
        appointment = make_appointment(pg_session, slot=slot, patient=patient)
        ids = (slot.id, appointment.id)

        def act(session, index, ids=ids):
            slot_id, appointment_id = ids
            if index == 0:
                return booking.cancel_appointment(
                    session=session, user_id=patient.id, appointment_id=appointment_id
                )
            return availability.cancel_and_delete_slot(
                session=session, doctor_id=doctor.id, slot_id=slot_id, reason="Ill"
            )

        outcomes = run_race(2, act)

        unexpected = [o for o in outcomes if isinstance(o, Exception)]
        assert all(isinstance(o, HMSError) for o in unexpected), unexpected
        pg_session.expire_all()
        row = pg_session.get(Appointment, ids[1])
        assert row.status == AppointmentStatus.CANCELLED
        assert pg_session.get(Slot, ids[0]).state in (SlotState.OPEN, SlotState.REMOVED)
