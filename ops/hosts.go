package ops

import (
	"net"
	"net/http"
	"strings"
)

// AllowedHosts answers 400 to a request whose Host header is not one of
// hosts, as Django's ALLOWED_HOSTS does: without it, links the service
// builds from the request (call, Link, Location) would point wherever the
// client's Host header says. An entry matches the host without its port,
// ignoring case; ".example.org" also matches its subdomains; "*" matches
// any. No hosts allows any. /healthz and /readyz answer any host: probes
// reach replicas by address, and they build no links.
func AllowedHosts(hosts []string, next http.Handler) http.Handler {
	if len(hosts) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hostAllowed(hosts, r.Host) || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"detail": "Invalid host header."})
	})
}

func hostAllowed(hosts []string, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return false
	}
	for _, pattern := range hosts {
		switch {
		case pattern == "*":
			return true
		case strings.HasPrefix(pattern, "."):
			if host == pattern[1:] || strings.HasSuffix(host, pattern) {
				return true
			}
		case host == pattern:
			return true
		}
	}
	return false
}

// ParseHosts splits a comma-separated list of allowed hosts.
func ParseHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, strings.Trim(h, "[]"))
		}
	}
	return out
}
