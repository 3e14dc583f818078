package scan

import (
	"bytes"
	"strings"
	"testing"
)

// The CVES column leads with what CISA lists as exploited in the wild.
func TestTextTableKEVFirst(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(FormatText, &buf)
	w.Write(&Result{Target: "a.example", Exchange: true, Build: "15.2.2562.17",
		CVEs: []string{"CVE-2025-25005", "CVE-2025-25006", "CVE-2026-42897"}, KEVCVEs: []string{"CVE-2026-42897"}})
	w.Write(&Result{Target: "b.example", Exchange: true, Build: "15.2.2562.46", CVEs: []string{"CVE-2026-55007", "CVE-2026-69355"}})
	w.Close()
	out := buf.String()
	if !strings.Contains(out, "3 (1 KEV): CVE-2026-42897,") {
		t.Errorf("KEV CVE not first:\n%s", out)
	}
	if !strings.Contains(out, "2: CVE-2026-55007,") || strings.Contains(out, "(0 KEV)") {
		t.Errorf("row without KEV:\n%s", out)
	}
}
