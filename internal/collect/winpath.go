package collect

import (
	"errors"
	"fmt"
	"strings"
)

// winPath is an absolute Windows path: a drive letter and its components,
// in the case they were written or found.
type winPath struct {
	drive string // upper-case letter, "C"
	parts []string
}

var errNotWinPath = errors.New("collect: not an absolute Windows path with a drive letter")

// parseWinPath reads `C:\a\b`, `c:/a/b` or `\\?\C:\a`. Relative and UNC
// paths are refused; ".." is resolved lexically and never climbs above the
// drive root.
func parseWinPath(s string) (winPath, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "/", `\`)
	s = strings.TrimPrefix(s, `\\?\`)
	if len(s) < 2 || s[1] != ':' || !isLetter(s[0]) {
		return winPath{}, fmt.Errorf("%w: %q", errNotWinPath, s)
	}
	p := winPath{drive: strings.ToUpper(s[:1])}
	return p.join(strings.Split(s[2:], `\`)...), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// join appends components, dropping empty ones and "." and resolving "..".
func (p winPath) join(more ...string) winPath {
	parts := append([]string(nil), p.parts...)
	for _, m := range more {
		for _, c := range strings.FieldsFunc(m, func(r rune) bool { return r == '\\' || r == '/' }) {
			switch c {
			case ".":
			case "..":
				if len(parts) > 0 {
					parts = parts[:len(parts)-1]
				}
			default:
				parts = append(parts, c)
			}
		}
	}
	return winPath{drive: p.drive, parts: parts}
}

func (p winPath) String() string { return p.drive + `:\` + strings.Join(p.parts, `\`) }

// zipName is where a file at p goes in the bundle: "C/inetpub/...", the
// layout `exhunt hunt` already reads from copied trees.
func (p winPath) zipName() string { return strings.Join(append([]string{p.drive}, p.parts...), "/") }

// within says whether p is q or below it, comparing as Windows does
// (case-insensitively).
func (p winPath) within(q winPath) bool {
	if p.drive != q.drive || len(p.parts) < len(q.parts) {
		return false
	}
	for i, c := range q.parts {
		if !strings.EqualFold(p.parts[i], c) {
			return false
		}
	}
	return true
}

func (p winPath) isZero() bool { return p.drive == "" }

// expandEnv replaces %NAME% references (case-insensitive names, as
// cmd.exe does) from env, whose keys are lower-case. An unknown name is an
// error: guessing a path would collect the wrong folder silently.
func expandEnv(s string, env map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		name := s[i+1 : i+1+j]
		v, ok := env[strings.ToLower(name)]
		if !ok {
			return "", fmt.Errorf("collect: %q: unknown variable %%%s%%", s, name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+2:]
	}
}

// defaultEnv is what a standard Windows Server install sets; a live system
// overrides it from its own environment.
func defaultEnv() map[string]string {
	return map[string]string{
		"systemdrive":       "C:",
		"systemroot":        `C:\Windows`,
		"windir":            `C:\Windows`,
		"programdata":       `C:\ProgramData`,
		"allusersprofile":   `C:\ProgramData`,
		"programfiles":      `C:\Program Files`,
		"programfiles(x86)": `C:\Program Files (x86)`,
		"public":            `C:\Users\Public`,
	}
}
