package scan

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"iter"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadTarget marks an input entry that is not an IP, CIDR, host name,
// host:port or URL.
var ErrBadTarget = errors.New("scan: bad target")

// maxCIDR caps one CIDR's expansion (a /8 in IPv4, a /104 in IPv6).
const maxCIDRBits = 24

// maxTargetPath bounds the path of a URL target.
const maxTargetPath = 1024

// Target is one host:port to scan.
type Target struct {
	Input  string // the entry it came from
	Host   string // name or IP as given (no brackets)
	Port   int
	Scheme string // "https", "http" or "" (decide by port: 80 http, else https with http fallback)
	Path   string // the path of a URL target ("" otherwise); see basePath
	// Ordinal is the position of the target in the whole expanded input,
	// before sharding: it keys --resume.
	Ordinal int64
}

// Key is the canonical host:port, the unit of sharding.
func (t Target) Key() string { return net.JoinHostPort(strings.ToLower(t.Host), strconv.Itoa(t.Port)) }

// Shard selects the K-th of N disjoint parts of any input (1 ≤ K ≤ N).
// Membership depends only on the target's key, so a shard can run on any
// machine, in any input order, and the N shards together cover all targets
// exactly once.
type Shard struct{ K, N int }

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{1, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return Shard{}, fmt.Errorf("scan: --shard %q: want K/N with 1 <= K <= N", s)
	}
	return Shard{k, n}, nil
}

// Has reports whether the target belongs to this shard.
func (s Shard) Has(t Target) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(t.Key()))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

// ParsePorts reads "443,8443,80".
func ParsePorts(s string) ([]int, error) {
	var ps []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("scan: port %q: want 1-65535", f)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, errors.New("scan: no ports")
	}
	return ps, nil
}

// Entry is one parsed input line before expansion.
type Entry struct {
	raw    string
	prefix netip.Prefix // CIDR or single IP (as /32 or /128)
	host   string       // host name
	port   int          // explicit port, 0 = use ports
	scheme string
	path   string // URL path, without query or fragment
}

// ParseEntry reads one target entry: IP, CIDR (v4 or v6), host name,
// host:port, [v6]:port or URL.
func ParseEntry(s string) (Entry, error) {
	s = strings.TrimSpace(s)
	e := Entry{raw: s}
	bad := func(why string) (Entry, error) { return Entry{}, fmt.Errorf("%w %q: %s", ErrBadTarget, s, why) }
	if s == "" {
		return bad("empty")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Hostname() == "" {
			return bad("not a URL")
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return bad("scheme must be http or https")
		}
		e.scheme = u.Scheme
		if p := u.EscapedPath(); p != "/" {
			if len(p) > maxTargetPath {
				return bad(fmt.Sprintf("URL path longer than %d bytes", maxTargetPath))
			}
			e.path = p
		}
		e.port = 443
		if u.Scheme == "http" {
			e.port = 80
		}
		if p := u.Port(); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return bad("bad port")
			}
			e.port = n
		}
		return e.setHost(u.Hostname(), bad)
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().BitLen()-p.Bits() > maxCIDRBits {
			return bad(fmt.Sprintf("CIDR larger than 2^%d addresses; split it", maxCIDRBits))
		}
		e.prefix = p.Masked()
		return e, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		e.prefix = netip.PrefixFrom(a.WithZone(""), a.BitLen())
		return e, nil
	}
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("bad port")
		}
		e.port = n
		return e.setHost(h, bad)
	}
	return e.setHost(s, bad)
}

func (e Entry) setHost(h string, bad func(string) (Entry, error)) (Entry, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		e.prefix = netip.PrefixFrom(a.WithZone(""), a.BitLen())
		return e, nil
	}
	if !validHostname(h) {
		return bad("not an IP address, CIDR or host name")
	}
	e.host = strings.ToLower(strings.TrimSuffix(h, "."))
	return e, nil
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Count is the number of targets the entry expands to with the given ports.
func (e Entry) Count(ports []int) int64 {
	n := int64(1)
	if e.prefix.IsValid() {
		n = int64(1) << (e.prefix.Addr().BitLen() - e.prefix.Bits())
	}
	if e.port == 0 {
		n *= int64(len(ports))
	}
	return n
}

// targets expands the entry: every address × every port.
func (e Entry) targets(ports []int, yield func(Target) bool) bool {
	ps := ports
	if e.port != 0 {
		ps = []int{e.port}
	}
	emit := func(host string) bool {
		for _, p := range ps {
			if !yield(Target{Input: e.raw, Host: host, Port: p, Scheme: e.scheme, Path: e.path}) {
				return false
			}
		}
		return true
	}
	if !e.prefix.IsValid() {
		return emit(e.host)
	}
	for a := e.prefix.Addr(); e.prefix.Contains(a); a = a.Next() {
		if !emit(a.String()) {
			return false
		}
	}
	return true
}

// Input is one source of entries: arguments, a file, or stdin.
type Input struct {
	Name   string    // for messages: "argument", a file name, "stdin"
	Reader io.Reader // one entry per line; # starts a comment
	Args   []string  // used when Reader is nil
}

// Targets expands inputs, in order, into targets numbered by Ordinal. A
// bad entry yields an error wrapping ErrBadTarget (with file and line) and
// the sequence goes on.
func Targets(inputs []Input, ports []int) iter.Seq2[Target, error] {
	return func(yield func(Target, error) bool) {
		var ord int64
		emit := func(e Entry) bool {
			return e.targets(ports, func(t Target) bool {
				t.Ordinal = ord
				ord++
				return yield(t, nil)
			})
		}
		for _, in := range inputs {
			if in.Reader == nil {
				for _, a := range in.Args {
					e, err := ParseEntry(a)
					if err != nil {
						if !yield(Target{Input: a}, err) {
							return
						}
						continue
					}
					if !emit(e) {
						return
					}
				}
				continue
			}
			for e, err := range Entries(in.Reader, in.Name) {
				if err != nil {
					if !yield(Target{Input: e.raw}, err) {
						return
					}
					continue
				}
				if !emit(e) {
					return
				}
			}
		}
	}
}

// Entries reads one target entry per line of r, named name in errors: #
// starts a comment, blank lines are skipped. A bad line yields an Entry
// holding only its text and an error wrapping ErrBadTarget with
// name:line, and the sequence goes on; a read error (a line over 64 KiB)
// ends it with an error wrapping ErrBadTarget. The one reader of target
// lists: exhunt scan's counting and Targets both use it.
func Entries(r io.Reader, name string) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		line := 0
		for sc.Scan() {
			line++
			s := sc.Text()
			if i := strings.IndexByte(s, '#'); i >= 0 {
				s = s[:i]
			}
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			e, err := ParseEntry(s)
			if err != nil {
				err = fmt.Errorf("%s:%d: %w", name, line, err)
				e = Entry{raw: s}
			}
			if !yield(e, err) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Entry{}, fmt.Errorf("%w: read %s: %v", ErrBadTarget, name, err))
		}
	}
}

// CountEntries counts the targets the entries of r expand to over ports,
// and fails at the first bad line (with name:line), so a typo in a target
// list fails before anything is scanned.
func CountEntries(r io.Reader, name string, ports []int) (int64, error) {
	var n int64
	for e, err := range Entries(r, name) {
		if err != nil {
			return 0, err
		}
		n += e.Count(ports)
	}
	return n, nil
}
