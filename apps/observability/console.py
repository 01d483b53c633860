"""The events section of a job's console page: a small table, newest last, escaped like any admin field."""

from django.utils.html import format_html, format_html_join

from .events import timeline


def events_table(*, kind: str, job_id: int | None):
    if job_id is None:
        return "-"
    story = timeline(kind=kind, job_id=job_id)
    if not story["events"]:
        return "No events yet."
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((event.seq, event.at.strftime("%Y-%m-%d %H:%M:%S"), event.get_type_display(), event.message)
         for event in story["events"]))
    dropped = format_html("<p>{} older events were dropped from the middle of this timeline.</p>",
                          story["dropped"]) if story["dropped"] else ""
    return format_html('{}<table class="job-events"><thead><tr><th>#</th><th>at (UTC)</th><th>event</th>'
                       "<th>detail</th></tr></thead><tbody>{}</tbody></table>", dropped, rows)
