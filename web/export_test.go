package web

// SetOnMissing lets the external tests learn of every translation key a
// page used that the catalogue lacks. Call before serving any page.
func SetOnMissing(f func(key string)) { onMissing = f }
