package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/exhunt/exhunt/internal/store/result"
)

// Only web shells the scanner judged present reach a report; inconclusive
// ones (a server answering 200 to everything) do not.
func TestFromScanWebshells(t *testing.T) {
	var s result.ScanResult
	doc := `{"target":"https://ex01:443","exchange":true,"webshells":[{"path":"/aspnet_client/a.aspx","status":"found","http_status":200},{"path":"/owa/auth/b.aspx","status":"inconclusive","http_status":200}]}`
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	got := FromScan(&s, time.Time{})
	if len(got.Webshells) != 1 || got.Webshells[0] != "/aspnet_client/a.aspx" {
		t.Errorf("webshells %v", got.Webshells)
	}
}
