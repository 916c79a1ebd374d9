// Prints what ical.js (Thunderbird's parser) reads from an iCalendar file on stdin, as JSON.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const component = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));
const events = component.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    status: vevent.getFirstPropertyValue("status"),
    organizer: vevent.getFirstPropertyValue("organizer"),
    attendees: vevent.getAllProperties("attendee").map((p) => p.getFirstValue()),
    description: event.description,
  };
});
process.stdout.write(JSON.stringify({ method: component.getFirstPropertyValue("method"), events }));
