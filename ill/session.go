package ill

import "time"

// Session is a signed-in user of the readers' portal or the staff console.
// Only a hash of the session id (the cookie) is stored.
type Session struct {
	IDHash    string    // HashKey of the cookie's value
	Kind      string    // "reader" or "staff"
	Library   string    // canonical library code
	Subject   string    // card number (reader) or user name (staff), as registered
	Role      StaffRole // staff sessions: the account's role; "" for readers
	CSRF      string    // the token the session's forms must echo
	CreatedAt time.Time
	ExpiresAt time.Time
}
