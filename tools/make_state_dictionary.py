"""How the preset dictionary of the stored state (engine/bpmn/state_dictionary_1.json) was made.

The shipped diagrams run through the engine on a temporary SQLite database: one complaint through stage 1 and
the short stage 2. The dictionary is the compact text (without task ids) of its state when stage 1 closed,
followed by its state when stage 2 closed, with every free-text value blanked: what remains is what every
instance spells out again (task specs, the serializer's keys, variable names, codes and date forms), none of
one complaint's words.

The dictionary is part of the stored format and never changes: a state written with it can only be read with
the same bytes. A better one (after the diagrams changed a lot, say) is written to a new file and given a new
mark in engine/bpmn/compact_state.py, the old one kept for the states already written.

    .venv/bin/python tools/make_state_dictionary.py OUTPUT
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.lifecycle import close_stage2, make_app, through_engine  # noqa: E402
from engine.bpmn import compact_state  # noqa: E402
from engine.bpmn.persistence import scrub_task_data, state_to_dict  # noqa: E402
from engine.privacy.scrub import KEPT_VARIABLES  # noqa: E402
from models import ProcessInstance, db  # noqa: E402

# Kept as they are: codes and dates (their form repeats from complaint to complaint); every other text is blanked.
KEPT = KEPT_VARIABLES | {"step_completed_at", "implemented_at", "implementation_date", "close_decision",
                         "stage2_decision"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(f"sqlite:///{tmp}/dictionary.sqlite")
        *_, numbers = through_engine(app, 1)
        with app.app_context():
            stage1 = db.session.scalars(select(ProcessInstance.state)).one()
        close_stage2(app, numbers)
        with app.app_context():
            closed = db.session.scalars(select(ProcessInstance.state)).one()
    texts = [compact_state.text_of(state_to_dict(scrub_task_data(state, KEPT, ""))) for state in (stage1, closed)]
    args.output.write_bytes(b"".join(texts))
    print(f"{args.output}: {sum(map(len, texts))} bytes")


if __name__ == "__main__":
    main()
