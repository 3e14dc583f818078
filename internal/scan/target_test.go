package scan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func collect(t *testing.T, inputs []Input, ports []int) ([]string, []error) {
	t.Helper()
	var got []string
	var errs []error
	for tg, err := range Targets(inputs, ports) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, fmt.Sprintf("%d %s %s", tg.Ordinal, tg.Scheme, tg.Key()))
	}
	return got, errs
}

func TestTargets(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"10.0.0.1", []string{"0  10.0.0.1:443", "1  10.0.0.1:8443"}},
		{"10.0.0.0/31", []string{"0  10.0.0.0:443", "1  10.0.0.0:8443", "2  10.0.0.1:443", "3  10.0.0.1:8443"}},
		{"2001:db8::/127", []string{"0  [2001:db8::]:443", "1  [2001:db8::]:8443", "2  [2001:db8::1]:443", "3  [2001:db8::1]:8443"}},
		{"::1", []string{"0  [::1]:443", "1  [::1]:8443"}},
		{"Mail.Example.COM", []string{"0  mail.example.com:443", "1  mail.example.com:8443"}},
		{"mail.example.com:444", []string{"0  mail.example.com:444"}},
		{"[2001:db8::5]:444", []string{"0  [2001:db8::5]:444"}},
		{"https://mail.example.com/owa/", []string{"0 https mail.example.com:443"}},
		{"http://10.1.2.3:8080", []string{"0 http 10.1.2.3:8080"}},
	}
	for _, tt := range tests {
		got, errs := collect(t, []Input{{Name: "argument", Args: []string{tt.in}}}, []int{443, 8443})
		if len(errs) > 0 {
			t.Errorf("%q: %v", tt.in, errs)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got)\n%s", tt.in, diff)
		}
	}
}

func TestBadTargets(t *testing.T) {
	for _, in := range []string{"ftp://x", "10.0.0.0/7", "::/64", "bad host", "-x.example", "host:0", "host:99999", "http://", "a..b"} {
		if _, err := ParseEntry(in); !errors.Is(err, ErrBadTarget) {
			t.Errorf("ParseEntry(%q) err = %v, want ErrBadTarget", in, err)
		}
	}
	file := "# fleet\n10.0.0.1   # primary\n\nnot valid!\n10.0.0.2\n"
	got, errs := collect(t, []Input{{Name: "hosts.txt", Reader: strings.NewReader(file)}}, []int{443})
	if diff := cmp.Diff([]string{"0  10.0.0.1:443", "1  10.0.0.2:443"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "hosts.txt:4") {
		t.Errorf("errors = %v, want one naming hosts.txt:4", errs)
	}
}

// CountEntries agrees with Targets on the same list (they share Entries)
// and fails at the first bad line, naming it; an over-long line is an
// error, not a silent stop.
func TestCountEntries(t *testing.T) {
	list := "# fleet\n10.0.0.0/30   # four\nmail.example.com\n\nhttps://owa.example.com/owa/\n"
	n, err := CountEntries(strings.NewReader(list), "hosts.txt", []int{443, 8443})
	got, errs := collect(t, []Input{{Name: "hosts.txt", Reader: strings.NewReader(list)}}, []int{443, 8443})
	if err != nil || len(errs) > 0 || n != 11 || int(n) != len(got) {
		t.Errorf("CountEntries = %d, %v; Targets gave %d (%v); want 11 both (4x2 + 2 + 1 URL)", n, err, len(got), errs)
	}
	_, err = CountEntries(strings.NewReader("10.0.0.1\nnot valid!\n"), "hosts.txt", []int{443})
	if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), "hosts.txt:2") {
		t.Errorf("bad line: err = %v, want ErrBadTarget naming hosts.txt:2", err)
	}
	long := "10.0.0.1\n" + strings.Repeat("a", 70<<10) + "\n"
	if _, err := CountEntries(strings.NewReader(long), "big.txt", []int{443}); !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), "big.txt") {
		t.Errorf("over-long line: err = %v, want ErrBadTarget naming big.txt", err)
	}
	var bad []string
	for tg, err := range Targets([]Input{{Name: "stdin", Reader: strings.NewReader("ok.example\nbad host!\n")}}, []int{443}) {
		if err != nil {
			bad = append(bad, tg.Input)
		}
	}
	if diff := cmp.Diff([]string{"bad host!"}, bad); diff != "" {
		t.Errorf("a bad line's target keeps its text (-want +got)\n%s", diff)
	}
}

// The union of all shards is the whole input and no two shards overlap,
// whatever the input order.
func TestShardsPartitionTheInput(t *testing.T) {
	in := []Input{{Args: []string{"10.0.0.0/22", "mail.example.com", "[2001:db8::1]:444"}}}
	all, _ := collect(t, in, []int{443, 8443})
	const n = 7
	seen := map[string]int{}
	for k := 1; k <= n; k++ {
		sh := Shard{k, n}
		for tg := range Targets(in, []int{443, 8443}) {
			if sh.Has(tg) {
				seen[tg.Key()]++
			}
		}
	}
	if len(seen) != len(all) {
		t.Errorf("shards cover %d targets, input has %d", len(seen), len(all))
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("%s is in %d shards", k, c)
		}
	}
	if _, err := ParseShard("3/2"); err == nil {
		t.Error("ParseShard(3/2) accepted")
	}
	if s, err := ParseShard("2/5"); err != nil || s != (Shard{2, 5}) {
		t.Errorf("ParseShard(2/5) = %v %v", s, err)
	}
}

func TestParsePorts(t *testing.T) {
	if p, err := ParsePorts("443, 8443,80"); err != nil || !cmp.Equal(p, []int{443, 8443, 80}) {
		t.Errorf("ParsePorts = %v %v", p, err)
	}
	for _, bad := range []string{"", "0", "65536", "https"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
}
