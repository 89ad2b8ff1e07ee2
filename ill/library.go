package ill

import "time"

// Library is a member library: its names, lending policy, contact points
// (e-mail, webhook, ISO 18626 endpoint) and courier stop. The JSON form is
// what GET /v1/libraries and the console show: the private contact points
// (notice e-mail, webhook, ISO 18626 endpoint), secrets and hashes are
// never part of it; the ILL desk's public contacts (Contact*) are.
type Library struct {
	Code             string `json:"code"`
	NameZH           string `json:"name_zh"`
	NameEN           string `json:"name_en"`
	ISOSymbol        string `json:"iso18626_symbol"`
	Lending          bool   `json:"lending"`
	DepositRequired  bool   `json:"deposit_required"`
	LoanMonths       int    `json:"loan_months"`
	RecallDays       int    `json:"recall_days"`
	FinePerDayFen    int    `json:"fine_per_day_fen"`
	DamageFeeFen     int    `json:"damage_fee_fen"`
	LossFeeFen       int    `json:"loss_fee_fen"`
	Locale           string `json:"locale"`
	Email            string `json:"-"`
	ContactPhone     string `json:"contact_phone"`   // the ILL desk's public phone (home page, directory)
	ContactEmail     string `json:"contact_email"`   // its public e-mail; Email above is the private notice address
	ContactAddress   string `json:"contact_address"` // its public address (where the desk is)
	WebhookURL       string `json:"-"`
	WebhookSecret    string `json:"-"` // signs webhook notices (docs/notices.md)
	ISOEndpoint      string `json:"-"`
	CourierCutoff    string `json:"courier_cutoff"`
	CourierDays      string `json:"courier_days"` // set with illctl courier days
	ISOSecretHash    string `json:"-"`
	ISOClosedNetwork bool   `json:"-"` // accepted without a secret (see ISOMember)
	// The copy service's settings (CopyTerms; 0: the default): working
	// days to answer and to deliver a copy request as a lender, and the
	// limit of open copy requests per reader as a borrower.
	CopyRespondDays int       `json:"copy_respond_days"`
	CopyDeliverDays int       `json:"copy_deliver_days"`
	CopyLimit       int       `json:"copy_limit"`
	CreatedAt       time.Time `json:"-"`
}

// WithDefaults returns l with the policy a new member gets for what it
// leaves unset: a one-month loan, seven days to return a recalled item,
// Chinese notices, a 14:00 courier cut-off, and its code as its ISO 18626
// symbol. Adding a member (illctl library add, the demo and test loaders)
// applies it; a zero value cannot mean "none" for any of these.
func (l Library) WithDefaults() Library {
	if l.LoanMonths == 0 {
		l.LoanMonths = 1
	}
	if l.RecallDays == 0 {
		l.RecallDays = 7
	}
	if l.Locale == "" {
		l.Locale = "zh"
	}
	if l.CourierCutoff == "" {
		l.CourierCutoff = "14:00"
	}
	if l.ISOSymbol == "" {
		l.ISOSymbol = l.Code
	}
	return l
}

// ISOMember is l as an ISO 18626 peer (nil for a nil library), so that a
// directory holding whole library rows answers ISO 18626 look-ups too.
func (l *Library) ISOMember() *ISOMember {
	if l == nil {
		return nil
	}
	return &ISOMember{Code: l.Code, Symbol: l.ISOSymbol, Endpoint: l.ISOEndpoint, SecretHash: l.ISOSecretHash,
		ClosedNetwork: l.ISOClosedNetwork}
}

// Closure is one stored closure of a library (illctl closures list): days
// it is closed, which its deadlines do not count as working days
// (Calendar.ScheduleFor). ID is what illctl closures remove takes.
type Closure struct {
	ID    int64
	Range DateRange
	Note  string
}
