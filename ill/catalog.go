package ill

// Record is a union catalogue record: one work as the members' holdings
// matched it (by ISBN, else by TitleKey).
type Record struct {
	ID        int64
	ISBN13    string // normalised ISBN-13; "" when the record has none
	Title     string
	Author    string
	Publisher string
	Year      int
	Language  string
	Material  string
	CLC       string
}

// HoldingView is one member's holding of a record, with the member's name
// (GET /v1/catalog/records/{id}, the portal's record page).
type HoldingView struct {
	Library    string `json:"library"`
	NameZH     string `json:"library_name"`
	LocalID    string `json:"local_id"`
	CallNumber string `json:"call_number"`
	Copies     int    `json:"copies"`
	Available  int    `json:"available"`
	Lendable   bool   `json:"lendable"`
}
