package ill

// StaffRole is what a console account may do. The values are stored
// (staff_users.role) and shown by illctl.
type StaffRole string

const (
	// StaffMember works the queues of its own member library.
	StaffMember StaffRole = "staff"
	// StaffCentreAdmin works every library's queues and acts as the centre;
	// only accounts of library CENTRE have it.
	StaffCentreAdmin StaffRole = "centre_admin"
)

// StaffRoleFor is the only role an account of library may have: centre_admin
// for CENTRE, staff for a member library.
func StaffRoleFor(library string) StaffRole {
	if library == CentreCode {
		return StaffCentreAdmin
	}
	return StaffMember
}

// Staff is a console account.
type Staff struct {
	Library      string // the account's library (CentreCode for the centre)
	Username     string // as registered (ill.CanonicalUser)
	Name         string
	Role         StaffRole // StaffRoleFor(Library)
	PasswordHash string    // bcrypt hash; "" when writing keeps the stored one
	Disabled     bool      // a disabled account cannot sign in and its sessions end
}
