"""Small tables on a page (the layers of a network, runs side by side, a guess beside what happened)
as Markdown, their numbers written as the session's language writes them."""
from __future__ import annotations

import streamlit as st

from cnnlib import words
from ui.browser import lang


def table(rows: list[dict], percent: tuple[str, ...] = (), key: str = "") -> None:
    """Rows of a small table (the layers of a network, runs side by side) as a Markdown table: whole
    numbers with thousands separators, `percent` columns (0..1) in per cent. (st.dataframe would do,
    but it imports pandas, 67 MB that a class server would carry for two small tables.)"""
    if not rows:
        return
    columns = list(dict.fromkeys(c for row in rows for c in row))
    language = lang()

    def cell(column: str, value) -> str:      # numbers written as the session's language writes them
        if value is None:
            return ""
        if column in percent and isinstance(value, (int, float)):
            return words.say("percent", language, value=100 * value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return str(value).replace("|", "\\|").replace("\n", " ")
        return words.number(value, "," if isinstance(value, int) else ",.6g", language)

    numeric = {c for c in columns if all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows)}
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|"]
    lines += ["| " + " | ".join(cell(c, row.get(c)) for c in columns) + " |" for row in rows]
    with st.container(key=key or None):
        st.markdown("\n".join(lines))
