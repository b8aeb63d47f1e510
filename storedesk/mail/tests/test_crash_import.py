"""A mail that kills `storedesk import_mail` every time it is parsed (crash_harness.py).

An admin reruns an import that died. Before, the rerun stored and processed the same batch
in one transaction again, died on the same mail again, and so for ever: nothing of that batch
ever arrived. Now an import commits each batch's mail and their counted attempt before
processing them (intake_counted.raw_emails_take_in_counted), so a rerun takes the mail of a
batch that died one at a time once their attempt timed out, and the mail that killed it
three times goes to the quarantine unparsed while the rest arrives.

In xdist group "crash" with test_crash.py (one test worker for the kill tests).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.conversations.models import Conversation
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import RawEmailState
from storedesk.mail.intake import raw_email_reprocess
from storedesk.mail.models import RawEmail
from storedesk.mail.tests.crash_harness import POISON_ENV
from storedesk.mail.tests.crash_mta import messages_make
from storedesk.mail.tests.crash_run import (
    SharedDatabase,
    child_env,
    poisoned_run_end,
    polled,
    supervise,
)
from storedesk.mail.tests.crash_supervisor import Supervisor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("crash")]

MESSAGES = 30
POISON_INDEX = 12  # inside the one batch, neither its first mail nor its last
POISON_HEADER = b"X-Parser-Crash: on this mail\r\n"
# A rerun takes the mail of a batch that died once its attempt is this old (production: 5 min).
ATTEMPT_TIMEOUT_SECONDS = "2"
FINISHED_SQL = "SELECT COUNT(*) FROM mail_rawemail WHERE state IN ('processed', 'quarantined')"
NEVER = (1e12, 1e12)


def test_mail_that_kills_the_importer_is_set_aside_and_the_rest_arrives(
    shared_database: SharedDatabase,
    supervisors: list[Supervisor],
    tmp_path: Path,
    seed: int,
) -> None:
    create_inbox(name="Support", address="support@shop.example")
    shared_database.publish()
    raws = [
        m.raw
        for m in messages_make(
            MESSAGES, seed=seed, support="support@shop.example",
            sales="sales@shop.example", prefix="import-poison",
        )
    ]
    raws[POISON_INDEX] = POISON_HEADER + raws[POISON_INDEX]
    folder = tmp_path / "export"
    folder.mkdir()
    for n, raw in enumerate(raws):
        (folder / f"{n:03}.eml").write_bytes(raw)
    finished = polled(lambda: shared_database.scalar(FINISHED_SQL))

    env = {
        **child_env(shared_database, tmp_path),
        POISON_ENV: POISON_HEADER.decode().strip(),
        "STOREDESK_MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS": ATTEMPT_TIMEOUT_SECONDS,
    }
    # Killed only by the poison, and rerun whenever it died or ended.
    importer = supervise(
        supervisors, ["importer", "support@shop.example", str(folder)], env=env, rate=0.0,
        progress=finished, kill_every=NEVER, workdir=tmp_path, seed=seed,
    )
    # In its batch once, then alone until MAIL_PROCESSING_MAX_ATTEMPTS attempts were counted.
    poisoned_run_end(
        shared_database, importer, done=lambda: finished() >= MESSAGES, progress=finished,
        deaths=3, label=f"seed {seed}: importer",
    )
    poison = RawEmail.objects.get(state=RawEmailState.QUARANTINED)
    assert bytes(poison.raw) == raws[POISON_INDEX]
    assert poison.reason.startswith(
        "processing this message did not complete after 3 attempts; the worker or import "
        "processing it may have crashed on it"
    )
    assert RawEmail.objects.filter(state=RawEmailState.PROCESSED).count() == MESSAGES - 1
    assert {bytes(raw) for raw in RawEmail.objects.values_list("raw", flat=True)} == set(raws)
    assert Conversation.objects.count() == MESSAGES - 1

    # The admins' Re-process, in a process whose parser survives it.
    raw_email_reprocess(raw_email=poison)
    poison.refresh_from_db()
    assert poison.state == RawEmailState.PROCESSED
    assert Conversation.objects.count() == MESSAGES
