package demo

// The demo's ISO 18626 member.

// ISOMember is the demo library whose own ILL system speaks ISO 18626 (its
// system is simulated by `illctl iso18626 simulate`, which scripts/demo.sh
// starts); ISOMemberURL is that system's endpoint.
const (
	ISOMember    = "CNU"
	ISOMemberURL = "http://127.0.0.1:9180/iso18626"
	// ISOMemberSecret is the demo member's requestingAgencyAuthentication/
	// securityCode: public, like the demo's API keys.
	ISOMemberSecret = "demo-iso-CNU"
)
