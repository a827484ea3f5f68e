package serve

import (
	_ "embed"
	"net/http"
)

// pageHTML is the drawing page: one self-contained file (HTML, CSS and
// script inline, no external assets), so it works offline.
//
//go:embed page/index.html
var pageHTML []byte

// page serves GET /.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	w.Write(pageHTML)
}
