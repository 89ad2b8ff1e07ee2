package ill

import "time"

// Principal is who an API key belongs to: a member library, or the centre
// (Library CentreCode, Centre true). The couriers' credentials resolve to
// Library CourierOwner. What a principal may do on one request follows
// from Request.RolesOf(Library, Centre).
type Principal struct {
	Library string
	Centre  bool
}

// CourierOwner is the owner under which courier credentials are listed,
// revoked, rotated and audited (`illctl key revoke COURIER`); it is the
// actor name the API gives a courier (app.Courier). No member
// library may use it as its code.
const CourierOwner = "COURIER"

// KeyGrant is a key to store: for a library, the centre (Owner
// CentreCode) or the couriers (Owner CourierOwner). Key is the key itself;
// only HashKey(Key) is ever stored.
type KeyGrant struct {
	Owner string
	Key   string
	Label string
}

// Courier reports whether g is a courier credential (they are kept apart
// from API keys: they authenticate only the courier endpoints).
func (g KeyGrant) Courier() bool { return g.Owner == CourierOwner }

// Centre reports whether g is a key of the centre (it acts on every
// library's requests).
func (g KeyGrant) Centre() bool { return g.Owner == CentreCode }

// KeyInfo describes a stored key (illctl key list), never the key or its
// hash. RevokedAt is zero while the key is active.
type KeyInfo struct {
	ID        int64
	Owner     string // library code, CentreCode or CourierOwner
	Centre    bool
	Label     string
	CreatedAt time.Time
	RevokedAt time.Time
}

// DemoCredential is an active demo dataset credential: the key
// DemoKey(Owner) of a library code, of CentreCode or of CourierOwner. Such
// keys are public, so outside a demo none may be active.
type DemoCredential struct {
	Owner string // library code, CentreCode or CourierOwner
	ID    int64
}
