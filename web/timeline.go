package web

import (
	"regexp"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
)

// The timeline as a librarian reads it. Events are stored as the state
// table wrote them (ill/transition.go: English notes with codes, which the
// JSON API returns as they are); the pages show who acted by name, what
// happened as a phrase of the page's language, and the hub's own notes
// reworded with library names and local dates. A staff member's free-text
// note is shown as typed.

// Actor names who acted on a timeline line.
func (p *Page) Actor(actor string) string {
	switch actor {
	case ill.SystemActor:
		return p.T("actor.system")
	case ill.CourierOwner:
		return p.T("actor.courier")
	case ill.CentreCode:
		return p.T("actor.centre")
	case "":
		return ""
	}
	return p.Lib(actor)
}

// EventAction says what a timeline line records.
func (p *Page) EventAction(a ill.Action) string { return p.T("event." + string(a)) }

// noteRules reword the hub's own timeline notes; ${lib} groups are library
// codes, ${t} RFC 3339 times, ${n} numbers, ${x} free text kept as is.
var noteRules = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^asked (?P<lib>[A-Z0-9_-]+) \(rank (?P<n>\d+)\)$`), "note.asked"},
	{regexp.MustCompile(`^no other member library holds a lendable copy$`), "note.no_holder"},
	{regexp.MustCompile(`^no lender left in the rota$`), "note.rota_exhausted"},
	{regexp.MustCompile(`^not found in the union catalogue; staff to identify a lender$`), "note.needs_mediation"},
	{regexp.MustCompile(`^(?P<lib>[A-Z0-9_-]+) unfilled: (?P<reason>[a-z_]+)(?: — (?P<x>.*))?$`), "note.lender_unfilled"},
	{regexp.MustCompile(`^will supply \(delivered at once\)$`), "note.will_supply_delivered"},
	{regexp.MustCompile(`^will supply(?: — (?P<x>.*))?$`), "note.will_supply"},
	{regexp.MustCompile(`^item (?P<x>\S+)(?: — (?P<y>.*))?$`), "note.item"},
	{regexp.MustCompile(`^due (?P<t>\S+)(?: — (?P<x>.*))?$`), "note.due"},
	{regexp.MustCompile(`^past due (?P<t>\S+)$`), "note.past_due"},
	{regexp.MustCompile(`^condition (?P<cond>good|damaged)(?:; returned (?P<n>\d+) day\(s\) late)?(?: — (?P<x>.*))?$`), "note.condition"},
	{regexp.MustCompile(`^cancel requested by (?P<by>reader|staff)(?: — (?P<x>.*))?$`), "note.cancel_requested"},
	{regexp.MustCompile(`^cancelled by (?P<by>reader|staff)(?: — (?P<x>.*))?$`), "note.cancelled_by"},
	{regexp.MustCompile(`^lender agreed to cancel(?: — (?P<x>.*))?$`), "note.cancel_agreed"},
	{regexp.MustCompile(`^lender declined to cancel(?: — (?P<x>.*))?$`), "note.cancel_declined"},
	{regexp.MustCompile(`^refused: (?P<x>.*)$`), "note.refused"},
}

// EventNote is a timeline line's note in the page's language.
func (p *Page) EventNote(e ill.Event) string {
	if e.Note == "" {
		return ""
	}
	for _, r := range noteRules {
		m := r.re.FindStringSubmatch(e.Note)
		if m == nil {
			continue
		}
		out := p.T(r.key)
		extra := ""
		for i, name := range r.re.SubexpNames() {
			v := m[i]
			switch name {
			case "lib":
				out = strings.ReplaceAll(out, "{lib}", p.Lib(v))
			case "n":
				out = strings.ReplaceAll(out, "{n}", v)
			case "reason":
				out = strings.ReplaceAll(out, "{reason}", p.ReasonText(ill.Reason(v)))
			case "cond":
				out = strings.ReplaceAll(out, "{cond}", p.T("cond."+v))
				if m[r.re.SubexpIndex("n")] != "" {
					out += p.T("note.late_suffix")
				}
			case "by":
				out = strings.ReplaceAll(out, "{by}", p.T("by."+v))
			case "t":
				if t, err := time.Parse(time.RFC3339, v); err == nil {
					v = p.Day(t)
				}
				out = strings.ReplaceAll(out, "{t}", v)
			case "x":
				if strings.Contains(out, "{x}") {
					out = strings.ReplaceAll(out, "{x}", v)
				} else {
					extra = v
				}
			case "y":
				extra = v
			}
		}
		out = strings.ReplaceAll(out, "{n}", "")
		if extra != "" {
			out += p.T("note.sep") + extra
		}
		return out
	}
	return e.Note
}

// TimeLeft is the countdown to r's live deadline (Deadline): time left,
// or how late it is, as "超时" for a lender's answer or shipping deadline
// and "超期" for a loan's due date. "" when r has no live deadline (a
// finished request shows none).
func (p *Page) TimeLeft(r *ill.Request) string {
	dl := p.Deadline(r)
	if dl.IsZero() {
		return ""
	}
	s := p.Countdown(dl)
	if p.Late(dl) && !dl.Equal(r.RespondBy) && !dl.Equal(r.ShipBy) && !dl.Equal(r.DeliverBy) {
		s = strings.ReplaceAll(p.T("loan_overdue_by"), "{d}", p.duration(dl))
	}
	return s
}

var violationNoteRules = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^reported lost$`), "vnote.lost"},
	{regexp.MustCompile(`^returned (?P<n>\d+) day\(s\) after the due date$`), "vnote.overdue"},
	{regexp.MustCompile(`^damaged \(borrowing library's inspection, lender's check-in\)$`), "vnote.damaged_both"},
	{regexp.MustCompile(`^damaged \(borrowing library's inspection\)$`), "vnote.damaged_borrower"},
	{regexp.MustCompile(`^damaged \(lender's check-in\)$`), "vnote.damaged_lender"},
}

// ViolationNote is a violation's note (ill.ComputeViolations writes it in
// English for the API) in the page's language; other text as it is.
func (p *Page) ViolationNote(note string) string {
	for _, r := range violationNoteRules {
		if m := r.re.FindStringSubmatch(note); m != nil {
			out := p.T(r.key)
			if i := r.re.SubexpIndex("n"); i > 0 {
				out = strings.ReplaceAll(out, "{n}", m[i])
			}
			return out
		}
	}
	return note
}

// QueueTitle names work queue key for the signed-in staff: the centre
// works every library's queues, so it gets the names that speak of no
// library of its own ("借出中" rather than "本馆借出").
func (p *Page) QueueTitle(key string) string {
	if p.IsCentre() {
		if _, ok := messages["queue.centre."+key]; ok {
			return p.T("queue.centre." + key)
		}
	}
	return p.T("queue." + key)
}
