"""Realistic experiences, written the way students and supervisors write."""

from __future__ import annotations

from typing import Any

FOOD_DRIVE: dict[str, Any] = {
    "category": "service",
    "title": "Winter food drive",
    "narrative": (
        "In November me and four friends from student council ran a food drive for the Eastside "
        "pantry. We split the school into zones so each of us had two hallways, and I made a "
        "shared schedule so nobody was stuck doing pickups alone. When the 9th graders weren't "
        "bringing anything we went to their homerooms and talked to them about why the pantry "
        "runs low in winter. Halfway through, two of us disagreed about whether to take "
        "expired cans, so we sat down and worked it out together and agreed to ask the pantry. "
        "We collected 1,140 items, which was twice what we did last year.\n\n"
        "Honestly the hardest part was keeping everyone motivated in the last week."
    ),
    "role": "Co-organizer",
    "organization": {"name": "Eastside Community Pantry", "type": "nonprofit",
                     "sector": "Social services"},
    "start_date": "2025-11-01",
    "end_date": "2025-11-30",
    "hours": 35,
    "evidence": [
        {
            "kind": "endorsement",
            "text": (
                "I supervised the student council food drive this year. Maya worked with her "
                "team every day, listened to everyone's ideas and made sure each volunteer had a "
                "clear job. She resolved a disagreement between two teammates calmly and kept "
                "the group on track to double last year's total."
            ),
            "author": {"name": "Ms. Alvarez", "role": "Teacher and council advisor",
                       "relationship": "teacher"},
        },
        {
            "kind": "reflection",
            "text": (
                "I learned that a team works better when everyone knows exactly what they are "
                "responsible for. Next time I would start the reminders earlier."
            ),
            "author": {"relationship": "self"},
        },
    ],
    "learner_ref": "lrn-7f3a91",
    "external_id": "sub-000123",
}

WATER_QUALITY: dict[str, Any] = {
    "category": "course",
    "title": "Creek water quality study",
    "narrative": (
        "For AP Environmental Science our group tested Miller Creek every week for eight weeks. "
        "We measured dissolved oxygen, pH and temperature at three spots, upstream and below "
        "the parking lot drain. I put all the readings in a spreadsheet and graphed them, and "
        "the oxygen was always lower below the drain after it rained. We argued that runoff "
        "from the lot was the cause and presented it to the city parks board."
    ),
    "hours": 40,
    "evidence": [
        {"kind": "assessment",
         "text": "Final lab report graded A: clear data tables, correct analysis of trends, "
                 "conclusions supported by the measurements.",
         "author": {"role": "AP teacher", "relationship": "teacher"}},
    ],
    "learner_ref": "lrn-22b",
}

VAGUE: dict[str, Any] = {
    "category": "extracurricular",
    "narrative": "It was fun. I learned a lot and met some nice people.",
}

LIBRARY_INTERNSHIP: dict[str, Any] = {
    "category": "work_based",
    "title": "Software intern",
    "role": "Developer intern",
    "organization": {"name": "Harbor County Library", "type": "government",
                     "sector": "Public libraries"},
    "start_date": "2025-06-02",
    "end_date": "2025-08-22",
    "hours": 320,
    "narrative": (
        "This summer I interned with the library's two-person IT team. I wrote SQL queries and "
        "Java services for the book reservation system. When patrons complained that holds took "
        "days to show up, I traced the delay to a nightly batch job, rewrote it as a service "
        "that runs every five minutes, and tested it against a copy of the database. I also "
        "wrote the documentation so the next intern can maintain it."
    ),
    "evidence": [
        {"kind": "endorsement",
         "text": "Sam wrote the Java services and the SQL queries behind our new reservation "
                 "system on his own, and his fix cut the wait for holds from two days to "
                 "minutes.",
         "author": {"role": "IT manager", "relationship": "supervisor"}},
    ],
    "learner_ref": "lrn-40c",
}
