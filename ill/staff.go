package ill

// StaffRole is what a console account may do. The values are stored
// (staff_users.role) and shown by illctl.
type StaffRole string

const (
	// StaffMember works the queues of its own member library.
	StaffMember StaffRole = "staff"
	// StaffLibraryAdmin is a member library's staff member who also
	// edits the library's own fee rules (ill/fees.go).
	StaffLibraryAdmin StaffRole = "library_admin"
	// StaffCentreAdmin works every library's queues and acts as the centre;
	// only accounts of library CENTRE have it.
	StaffCentreAdmin StaffRole = "centre_admin"
)

// StaffRoleFor is the default role of a new account of library:
// centre_admin for CENTRE, staff for a member library.
func StaffRoleFor(library string) StaffRole {
	if library == CentreCode {
		return StaffCentreAdmin
	}
	return StaffMember
}

// StaffRoleValid reports whether an account of library may have role: the
// centre's accounts are centre_admin; a member's are staff or
// library_admin.
func StaffRoleValid(library string, role StaffRole) bool {
	if library == CentreCode {
		return role == StaffCentreAdmin
	}
	return role == StaffMember || role == StaffLibraryAdmin
}

// Staff is a console account.
type Staff struct {
	Library      string // the account's library (CentreCode for the centre)
	Username     string // as registered (ill.CanonicalUser)
	Name         string
	Role         StaffRole // StaffRoleValid(Library, Role)
	PasswordHash string    // bcrypt hash; "" when writing keeps the stored one
	Disabled     bool      // a disabled account cannot sign in and its sessions end
}
