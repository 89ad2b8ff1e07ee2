package httpapi

// The reader portal and the staff console (package web) are served on the
// same listener as Server.UI: every path the API does not own is theirs.
// They call the use cases of package app themselves; this package only
// routes to them.

// isAPIPath reports whether path belongs to the JSON API (/v1/..., any
// /vN/...): unknown ones there are answered with the JSON 404, everything
// else outside the API's routes is the web UI's.
func isAPIPath(path string) bool {
	return len(path) > 2 && path[0] == '/' && path[1] == 'v' && path[2] >= '0' && path[2] <= '9'
}
