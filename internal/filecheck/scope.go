package filecheck

import (
	"path"
	"strings"

	"github.com/exhunt/exhunt/internal/yara"
)

// scopeDirs are folder paths (lower-case, '/'-separated, matched at any
// depth) whose whole subtree is in the default scope: where the 2021
// Exchange web shells, dumps, archives and tools were dropped.
var scopeDirs = []string{
	"/aspnet_client/",
	"/inetpub/wwwroot/",
	"/frontend/httpproxy/owa/auth/",
	"/frontend/httpproxy/ecp/auth/",
	"/frontend/httpproxy/oab/",
	"/clientaccess/owa/",
	"/clientaccess/ecp/",
	"/clientaccess/oab/",
	"/oab/",
	"/windows/temp/",
	"/programdata/",
	"/appdata/local/temp/",
	"/users/public/",
}

// serverMarkers are folder paths (lower-case, '/'-separated, matched at
// any depth) that only a Windows server's tree holds: a copy of C:\, of
// inetpub or of the Exchange install folder. Evidence without any of them
// is a folder (or zip) of loose files, and every file of it is examined.
var serverMarkers = []string{
	"/windows/system32/",
	"/windows/syswow64/",
	"/windows/temp/",
	"/windows/microsoft.net/",
	"/inetpub/",
	"/program files/",
	"/program files (x86)/",
	"/programdata/",
	"/exchange server/",
	"/frontend/httpproxy/",
	"/clientaccess/owa/",
	"/clientaccess/ecp/",
	"/clientaccess/oab/",
	"/aspnet_client/system_web/",
	"/appdata/local/temp/",
}

// ServerLayout tells whether the path p (inside the evidence,
// '/'-separated) shows that the evidence is a server's file tree (see
// serverMarkers). The hunt keeps the focused scope of InScope for such a
// tree and examines every file of any other.
func (c *Checker) ServerLayout(p string) bool {
	l := "/" + strings.ToLower(strings.Trim(p, "/"))
	for _, m := range serverMarkers {
		if strings.Contains(l, m) {
			return true
		}
	}
	return false
}

// InScope tells whether the hunt should hand the file at p (inside the
// evidence, '/'-separated) to Detect when the evidence is a server's tree
// (see ServerLayout). With all, every file is.
func (c *Checker) InScope(p string, size int64, all bool) bool {
	if all {
		return true
	}
	return inDefaultScope(p)
}

func inDefaultScope(p string) bool {
	l := "/" + strings.ToLower(strings.Trim(p, "/"))
	for _, d := range scopeDirs {
		if strings.Contains(l, d) {
			return true
		}
	}
	return atRoot(l)
}

// atRoot: the evidence root, a drive root ("C/", "C$/", "C:/") one or two
// levels down, or a folder named "root" there (Hafnium used C:\root).
func atRoot(l string) bool {
	dir := strings.Trim(path.Dir(l), "/")
	if dir == "" {
		return true
	}
	parts := strings.Split(dir, "/")
	if len(parts) > 3 {
		return false
	}
	for i, s := range parts {
		if isDrive(s) {
			rest := parts[i+1:]
			return len(rest) == 0 || len(rest) == 1 && rest[0] == "root"
		}
	}
	return len(parts) == 1 && parts[0] == "root"
}

func isDrive(s string) bool {
	if len(s) == 0 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return len(s) == 1 || len(s) == 2 && (s[1] == ':' || s[1] == '$')
}

// vars gives YARA the external variables the way yara on the original
// Windows host would: filepath with backslashes (signature-base rules
// test `filepath contains "\\Cache\\"`), extension lower-case with its dot.
func vars(p string) yara.Vars {
	p = strings.Trim(p, "/")
	base := path.Base(p)
	ext := strings.ToLower(path.Ext(base))
	return yara.Vars{
		Filename:  base,
		Filepath:  `\` + strings.ReplaceAll(p, "/", `\`),
		Extension: ext,
	}
}
