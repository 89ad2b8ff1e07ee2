package ill

// Reader is a patron registered by its library (POST /v1/readers, illctl
// reader add) as the readers' portal sees it. The library still vouches for
// the reader with every submit (Patron); the PIN hash only lets the reader
// sign in to the portal.
type Reader struct {
	Library     string // the registering library's code
	ID          string // card number, as registered (ill.CanonicalCard)
	Name        string
	Email       string
	DepositPaid bool
	PINHash     string // bcrypt hash; "" when the reader has no portal PIN
	// Category is the reader's category, which the centre's subsidy of
	// copy fees is per; "" when the library never set one (charged as
	// CategoryOther).
	Category ReaderCategory
}

// Patron returns the reader as a submit body's patron.
func (r Reader) Patron() Patron {
	return Patron{ID: r.ID, Name: r.Name, Email: r.Email, DepositPaid: r.DepositPaid}
}
