package ill

// State is a request's life-cycle state (SPEC §3). The string values are part
// of the public API and must never change.
type State string

const (
	Submitted      State = "SUBMITTED"
	NeedsMediation State = "NEEDS_MEDIATION"
	Requested      State = "REQUESTED"
	WillSupply     State = "WILL_SUPPLY"
	CancelPending  State = "CANCEL_PENDING"
	Shipped        State = "SHIPPED"
	Received       State = "RECEIVED"
	OnLoan         State = "ON_LOAN"
	Recalled       State = "RECALLED"
	Overdue        State = "OVERDUE"
	Returned       State = "RETURNED"
	ReturnShipped  State = "RETURN_SHIPPED"
	// Delivered: a copy request's file was delivered electronically; it
	// waits for the reader's downloads or the link's expiry (SPEC 5.4).
	Delivered State = "DELIVERED"
	Completed State = "COMPLETED"
	Unfilled  State = "UNFILLED"
	Rejected  State = "REJECTED"
	Cancelled State = "CANCELLED"
	Lost      State = "LOST"
)

// stateInfo is the states table of SPEC §3: whether a state counts towards
// the reader's limit (R3), whether it is terminal, and its bilingual label.
type stateInfo struct {
	active   bool
	terminal bool
	zh, en   string
}

var states = map[State]stateInfo{
	Submitted:      {true, false, "已提交", "Submitted"},
	NeedsMediation: {true, false, "待人工处理", "Needs mediation"},
	Requested:      {true, false, "已发送至出借馆", "Requested from lender"},
	WillSupply:     {true, false, "出借馆已同意", "Lender will supply"},
	CancelPending:  {true, false, "撤销待确认", "Cancel pending"},
	Shipped:        {true, false, "已寄出", "Shipped"},
	Received:       {true, false, "文献到馆", "Arrived"},
	OnLoan:         {true, false, "借出中", "On loan"},
	Recalled:       {true, false, "已索回", "Recalled"},
	Overdue:        {true, false, "已超期", "Overdue"},
	Returned:       {false, false, "读者已还书", "Returned by reader"},
	ReturnShipped:  {false, false, "已寄回出借馆", "Shipped back"},
	// Not active: R3 counts loans only; it counts for the copy limit
	// (CopyOpenStates).
	Delivered: {false, false, "已发送电子文献", "Delivered electronically"},
	Completed: {false, true, "已完成", "Completed"},
	Unfilled:  {false, true, "无法满足", "Unfilled"},
	Rejected:  {false, true, "已拒绝", "Rejected"},
	Cancelled: {false, true, "已撤销", "Cancelled"},
	Lost:      {false, true, "已遗失", "Lost"},
}

// States lists every state in life-cycle order.
var States = []State{
	Submitted, NeedsMediation, Requested, WillSupply, CancelPending, Shipped,
	Received, OnLoan, Recalled, Overdue, Returned, ReturnShipped, Delivered,
	Completed, Unfilled, Rejected, Cancelled, Lost,
}

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool { _, ok := states[s]; return ok }

// Active reports whether a loan in state s counts towards the reader's
// limit of active requests (R3): from submission until RETURNED. Copy
// requests never count for R3 (CopyOpenStates counts them for theirs).
func (s State) Active() bool { return states[s].active }

// Terminal reports whether no action can leave s.
func (s State) Terminal() bool { return states[s].terminal }

// Label returns the state's display name in "zh" or "en".
func (s State) Label(lang string) string {
	if lang == "en" {
		return states[s].en
	}
	return states[s].zh
}

// ActiveStates lists the states that count for R3.
func ActiveStates() []State {
	var out []State
	for _, s := range States {
		if s.Active() {
			out = append(out, s)
		}
	}
	return out
}

// LoanRef is one of a reader's active loans (ActiveStates): its request and
// its union record (0 for a manual request not matched).
type LoanRef struct {
	ID       string
	RecordID int64
}

// DuplicateLoan returns the id of a loan in active other than request id
// for the same record, or "" (R7: one active loan of a record per reader;
// a request without a record has no duplicate).
func DuplicateLoan(active []LoanRef, id string, recordID int64) string {
	if recordID == 0 {
		return ""
	}
	for _, l := range active {
		if l.RecordID == recordID && l.ID != id {
			return l.ID
		}
	}
	return ""
}

// LoanStates are the states in which the book is out of the lender's hands
// and could be lost (report_lost applies).
var LoanStates = []State{Shipped, Received, OnLoan, Recalled, Overdue, Returned, ReturnShipped}
