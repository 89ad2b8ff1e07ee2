package ill

import (
	"slices"
	"time"
)

// Timer is a deadline the scheduler enforces; each has its job, which
// claims the requests whose deadline has come and asks Expire, per
// request, what the deadline does to it.
type Timer string

const (
	TimerRespond  Timer = "respond-deadline" // respond_by passed: the lender did not answer (R9)
	TimerShip     Timer = "ship-deadline"    // ship_by passed: a notice, 2 working days later the next lender (R9)
	TimerOverdue  Timer = "overdue"          // due_at passed: OVERDUE, and the overdue notices (R4)
	TimerCourtesy Timer = "courtesy"         // due_at within 3 days: the reader is reminded
	TimerDeliver  Timer = "deliver-deadline" // deliver_by passed: a copy moves to the next lender
)

// States are the states whose requests the timer's job claims: those its
// system action is taken from (Table), and for the overdue notices,
// which go on, OVERDUE too; the courtesy reminder goes to loans not yet
// overdue.
func (tm Timer) States() []State {
	switch tm {
	case TimerRespond:
		return fromStates(ActRespondTimeout)
	case TimerShip:
		return fromStates(ActShipTimeout)
	case TimerOverdue:
		return append(fromStates(ActMarkOverdue), Overdue)
	case TimerCourtesy:
		return fromStates(ActMarkOverdue)
	case TimerDeliver:
		return fromStates(ActDeliverTimeout)
	}
	return nil
}

// Deadline is the deadline the timer enforces.
func (tm Timer) Deadline() DeadlineField {
	switch tm {
	case TimerRespond:
		return DeadlineRespond
	case TimerShip:
		return DeadlineShip
	case TimerDeliver:
		return DeadlineDeliver
	}
	return DeadlineDue
}

func fromStates(a Action) []State {
	var out []State
	for _, r := range Table {
		if r.Action == a {
			out = append(out, r.From...)
		}
	}
	return out
}

// Expire is Decide for the scheduler: what timer does to r at now. The
// state changes go through Decide with the system's role (respond_deadline,
// ship_deadline, overdue); the notices are the deadline's own. A transition
// that neither moves nor notifies means there is nothing to do: the
// deadline has not passed (or moved since the job looked), a person acted
// first, or the notices exist already (Facts.Sent).
func Expire(tm Timer, r *Request, now time.Time, f Facts) Transition {
	idle := Transition{From: r.State, To: r.State}
	var t Transition
	switch tm {
	case TimerRespond:
		if !passed(r.RespondBy, now) {
			return idle
		}
		t = timeout(ActRespondTimeout, r, now, f)
	case TimerShip:
		if !passed(r.ShipBy, now) {
			return idle
		}
		// R9: 2 further working days of the lender's calendar before the
		// request moves on; in between the lender is reminded.
		if grace, _ := f.schedule(r.Lender).AddWorkingDays(r.ShipBy, 2); now.After(grace) {
			return timeout(ActShipTimeout, r, now, f)
		}
		t = idle
		t.Notices = []NoticeOrder{{Kind: NoticeShipLate, Library: r.Lender, Deadline: r.ShipBy}}
	case TimerDeliver:
		if !passed(r.DeliverBy, now) {
			return idle
		}
		t = timeout(ActDeliverTimeout, r, now, f)
	case TimerOverdue:
		step := OverdueStep(r.DueAt, now, f.OverdueFirst, f.OverdueEvery)
		if r.DueAt.IsZero() || step == 0 || !slices.Contains(tm.States(), r.State) {
			return idle
		}
		t = idle
		if r.State != Overdue {
			if t = timeout(ActMarkOverdue, r, now, f); !t.Moves() {
				return t
			}
		}
		t.Notices = append(t.Notices,
			NoticeOrder{Kind: NoticeOverdue, Step: step, Library: r.Borrower, PatronID: r.PatronID, Deadline: r.DueAt},
			NoticeOrder{Kind: NoticeOverdueLibrary, Step: step, Library: r.Borrower, Deadline: r.DueAt})
	case TimerCourtesy:
		if from, to := CourtesyWindow(now); !slices.Contains(tm.States(), r.State) || r.DueAt.Before(from) || !r.DueAt.Before(to) {
			return idle
		}
		t = idle
		t.Notices = []NoticeOrder{{Kind: NoticeCourtesy, Library: r.Borrower, PatronID: r.PatronID, Deadline: r.DueAt}}
	default:
		return idle
	}
	t.Notices = slices.DeleteFunc(t.Notices, func(n NoticeOrder) bool {
		return slices.Contains(f.Sent, NoticeKey{Kind: n.Kind, Step: n.Step})
	})
	return t
}

// Needs says which facts Expire reads for tm on r besides the overdue
// notice days and Sent: the closures of the lender (the ship deadline's
// grace) and of the next lender in the rota (a timeout asks it), and for
// a copy that lender's copy settings.
func (tm Timer) Needs(r *Request) Needs {
	var n Needs
	if tm == TimerRespond || tm == TimerShip || tm == TimerDeliver {
		if i := NextPending(r.Rota); i >= 0 {
			n.Libraries = append(n.Libraries, r.Rota[i].Library)
			n.CopyTerms = r.ServiceType.IsCopy()
		}
	}
	if tm == TimerShip {
		n.Libraries = append(n.Libraries, r.Lender)
	}
	return n
}

// timeout decides a system action on r; refused (a person acted first), it
// does nothing.
func timeout(a Action, r *Request, now time.Time, f Facts) Transition {
	t, err := Decide(Attempt{Action: a, From: r.State, Roles: []Role{RoleSystem}, At: now, SubmittedAt: r.SubmittedAt,
		Actor: SystemActor, Request: r, Facts: f})
	if err != nil {
		return Transition{From: r.State, To: r.State}
	}
	return t
}

func passed(deadline, now time.Time) bool { return !deadline.IsZero() && now.After(deadline) }

// CourtesyWindow is the range of due dates (from ≤ due < to) whose readers
// the courtesy job reminds at now: not yet due, and due by the end of the
// third day after today.
func CourtesyWindow(now time.Time) (from, to time.Time) { return now, DateOf(now).AddDays(4).Start() }

// OverdueWindow is the range of due dates (From ≤ due < To) whose loans
// are at overdue notice Step on a given day.
type OverdueWindow struct {
	Step     int
	From, To time.Time
}

// OverdueWindows lists, newest first, the windows of due dates at the
// overdue notice steps of now (OverdueStep: first, first+every, …) down to
// the one holding oldest. The overdue job claims loans one window at a
// time, so the database compares due dates with these bounds and never
// computes a step itself.
func OverdueWindows(now, oldest time.Time, first, every int) []OverdueWindow {
	if first < 1 {
		first = 1
	}
	if every < 1 {
		every = 7
	}
	if oldest.IsZero() {
		return nil
	}
	today := DateOf(now)
	var out []OverdueWindow
	for step := first; ; step += every {
		// At step s the loan is s … s+every-1 days past its due day.
		w := OverdueWindow{Step: step, From: today.AddDays(-step - every + 1).Start(), To: today.AddDays(-step + 1).Start()}
		if !w.To.After(oldest) {
			return out
		}
		out = append(out, w)
	}
}
