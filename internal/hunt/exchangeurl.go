package hunt

import (
	"bytes"
	"strings"
	"sync"

	"github.com/exhunt/exhunt/internal/rules"
)

// exchangeURLs are the URL paths only an Exchange server serves
// (iocs/exchange-urls.txt), lower-case, without a trailing '/'.
var exchangeURLs = sync.OnceValue(func() []string {
	list, _ := rules.PackList("exchange-urls.txt")
	out := make([]string, 0, len(list))
	for _, l := range list {
		out = append(out, strings.TrimSuffix(strings.ToLower(l), "/"))
	}
	return out
})

// mayNameExchangeURL is the cheap line test for servesExchange: does a
// '/' in the line start one of the Exchange paths (any case)?
func mayNameExchangeURL(line []byte) bool {
	urls := exchangeURLs()
	for i := bytes.IndexByte(line, '/'); i >= 0; {
		rest := line[i:]
		for _, u := range urls {
			if len(rest) >= len(u) && bytes.EqualFold(rest[:len(u)], []byte(u)) {
				return true
			}
		}
		j := bytes.IndexByte(line[i+1:], '/')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// servesExchange says whether a request's answer shows that the server
// runs Exchange: a URL only Exchange serves, answered with success, an
// authentication challenge or one of Exchange's own codes. A 404, or a
// redirect (a site-wide HTTP to HTTPS redirect answers any path), shows
// nothing.
func servesExchange(stem, status string) bool {
	switch {
	case strings.HasPrefix(status, "2"), status == "401", status == "440", status == "449", status == "451":
	default:
		return false
	}
	l := strings.ToLower(stem)
	for _, u := range exchangeURLs() {
		if l == u || l == u+"/" || strings.HasPrefix(l, u+"/") {
			return true
		}
	}
	return false
}

// exchangeServed marks the IIS log at path as an Exchange server's.
func (h *hostHunt) exchangeServed(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.facts(path).exchange = true
}
