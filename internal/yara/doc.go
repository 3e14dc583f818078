// Package yara is a pure-Go (no cgo) YARA engine for the rule subset that
// web-shell rule sets use (Neo23x0/signature-base web-shell and Hafnium
// rules, nsacyber/Mitigating-Web-Shells), so that the CGO_ENABLED=0
// Windows build of exhunt can scan files with YARA rules.
//
// Data flow:
//
//	rule text --Compile/CompileFS--> Rules (patterns, 4-byte atom table)
//	file bytes --Scan--> prefilter (one pass over the lower-cased input:
//	  literal strings verified at their atom hits, regex atom hits kept)
//	  --> conditions (evaluated lazily; regexes run only when a condition
//	  still depends on them, only around their atom hits) --> []Match
//
// Supported: rule, private and global rules; tags; meta; text strings with
// nocase, wide, ascii, fullword and private; hex strings with ??, nibble
// wildcards (?A, A?), ~XX, jumps [n], [n-m], [n-], [-] and alternatives;
// regular expressions with the i and s flags (translated to RE2 and run by
// github.com/wasilibs/go-re2 in Latin-1 mode, i.e. on bytes); conditions
// with and/or/not, comparisons, integer and float arithmetic, bitwise
// operators, filesize with KB/MB, uint8/16/32(be) and int8/16/32(be),
// $a, #a, #a in (a..b), @a[i], !a[i], $a at N, $a in (a..b), any/all/
// none/N/N% of (set) [in (a..b)], them, for any/all/N of (set) : (...),
// for any/all/N i in (a..b) or (x, y, ...) : (...), rule references,
// defined, the external variables filename, filepath, extension and
// filetype with ==, !=, contains, icontains, startswith, istartswith,
// endswith, iendswith, iequals and matches; math.entropy, math.mean,
// math.deviation and math.count (the forms with offset and size);
// include (CompileFS only, resolved inside the given file system).
//
// As in yara, a rule whose condition leaves a string unreferenced is an
// error. Not supported (the rule is reported by Compile with the reason
// and skipped, the other rules keep working): every module except those math
// functions (pe, elf, hash, dotnet, ...), the xor, base64 and base64wide
// modifiers, entrypoint. Other external variables are undefined
// identifiers.
//
// With the build tag yara_cgo (Linux, cgo, Debian libyara-dev 4.2),
// CompileLibyara returns LibRules with the same Scan API backed by libyara
// through github.com/hillu/go-yara/v4; it is not built by default and
// serves as a full-compatibility option and as a test reference.
//
// Differences from libyara: regex matches are found with RE2 semantics
// (leftmost-first, matches of one string do not overlap within a search
// window) and, like YARA's RE_SCAN_LIMIT, reach at most 4096 bytes past an
// unbounded repetition; at most MaxStringMatches matches are kept per
// string and file. Verdicts (which rules match) agree with the yara 4.2
// CLI on the shared corpus; match counts of regex strings can differ.
package yara
