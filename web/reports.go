package web

import "net/http"

func (h *Handler) routeReports(m *http.ServeMux) {}
