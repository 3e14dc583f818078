package rules

import (
	"slices"
	"strings"
	"testing"
)

// PackList gives a list's entries: trimmed, no blank or # comment lines.
func TestPackList(t *testing.T) {
	urls, err := PackList("exchange-urls.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(urls, "/owa") || !slices.Contains(urls, "/Microsoft-Server-ActiveSync") && !slices.Contains(urls, "/microsoft-server-activesync") {
		t.Errorf("exchange-urls.txt entries %q: /owa or ActiveSync missing", urls)
	}
	for _, l := range urls {
		if l == "" || strings.HasPrefix(l, "#") || l != strings.TrimSpace(l) {
			t.Errorf("entry %q: blank, comment or untrimmed", l)
		}
	}
	if _, err := PackList("no-such-list.txt"); err == nil {
		t.Error("a missing list is no error")
	}
}
