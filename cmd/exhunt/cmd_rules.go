package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/exhunt/exhunt/internal/datadir"
	"github.com/exhunt/exhunt/internal/filecheck"
	"github.com/exhunt/exhunt/internal/jsonfmt"
	"github.com/exhunt/exhunt/internal/rules"
	"github.com/exhunt/exhunt/internal/ruleset"
)

func newRulesCommand(g *globalOptions) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Install and list the community rule sets (signature-base YARA, SigmaHQ Sigma)",
		Long: `Manage the community rule sets exhunt hunts with next to its built-in packs:
Neo23x0 signature-base (YARA rules for web shells, tools and exploits) and
SigmaHQ (Sigma rules for event logs).

  exhunt rules update     download, verify and install the newest releases
  exhunt rules list       what is installed: version, date, rule counts,
                          and the rules exhunt cannot use, with the reason

The sets live in the data directory (--data-dir, env EXHUNT_DATA_DIR,
default ~/.local/share/exhunt or %LOCALAPPDATA%\exhunt) under rules/.
exhunt hunt loads them automatically; --no-community-rules leaves them out.`,
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "", "exhunt's data directory (env EXHUNT_DATA_DIR; default: the user's data directory)")
	cmd.AddCommand(newRulesUpdateCommand(g, &dataDir), newRulesListCommand(g, &dataDir))
	return cmd
}

// resolveDataDir picks --data-dir, then EXHUNT_DATA_DIR, then the default.
func resolveDataDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	d, err := datadir.Dir()
	if err != nil {
		return "", usageError{err}
	}
	return d, nil
}

type rulesUpdateOptions struct {
	only    []string
	urls    []string
	sums    []string
	from    string
	set     string
	timeout time.Duration
}

func newRulesUpdateCommand(g *globalOptions, dataDir *string) *cobra.Command {
	var o rulesUpdateOptions
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download, verify and install the newest community rule sets",
		Long: `Download the newest release of each community rule set, check its SHA-256,
unpack its rule files, compile them once, and install them in the data
directory, replacing the previous version only when all of that worked.

  signature-base  ` + srcURL("signature-base") + `
                  (the release's zip, else its source archive; the yara folder)
  sigma           ` + srcURL("sigma") + `
                  (asset sigma_all_rules.zip: core and emerging-threat rules;
                  threat-hunting, placeholder and deprecated rules are left out)

Checksums: a SHA-256 given with --sha256 must match; else the digest GitHub
publishes for a release asset must match; a mismatch installs nothing.
Without either (a source archive, a plain URL), the set is installed and
listed as not verified, with the archive's SHA-256 recorded.

Downloads use HTTPS (plain HTTP only to loopback addresses), follow at most
5 redirects, stop after --timeout, and take archives up to 256 MiB. Entries
that would land outside the set's folder (../, absolute paths) refuse the
whole archive.

Examples:
  exhunt rules update
  exhunt rules update --only sigma
  exhunt rules update --from signature-base-master.zip --sha256 3b1f...e9
  exhunt rules update --url sigma=https://mirror.example/sigma_all_rules.zip --sha256 sigma=3b1f...e9

EXIT STATUS
  0  every requested set installed
  2  bad flags, or a set could not be downloaded, verified, unpacked or
     compiled (that set was left as it was)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRulesUpdate(cmd, g, *dataDir, &o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.only, "only", nil, "update only this set ("+strings.Join(ruleset.Names(), ", ")+"); repeatable")
	f.StringArrayVar(&o.urls, "url", nil, "NAME=URL: install set NAME from URL (a GitHub latest-release API URL or a zip archive); repeatable")
	f.StringArrayVar(&o.sums, "sha256", nil, "expected SHA-256 of the archive: HEX for a single set or --from, NAME=HEX otherwise; repeatable")
	f.StringVar(&o.from, "from", "", "install from this local zip archive instead of downloading (offline use)")
	f.StringVar(&o.set, "set", "", "with --from: the set the archive holds ("+strings.Join(ruleset.Names(), ", ")+"); default: detected from its files")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up a download after this long")
	return cmd
}

func srcURL(name string) string {
	s, _ := ruleset.Lookup(name)
	return s.URL
}

func runRulesUpdate(cmd *cobra.Command, g *globalOptions, dataDirFlag string, o *rulesUpdateOptions) error {
	dir, err := resolveDataDir(dataDirFlag)
	if err != nil {
		return err
	}
	for _, n := range append(slices.Clone(o.only), o.set) {
		if _, ok := ruleset.Lookup(n); n != "" && !ok {
			return usagef("unknown rule set %q (want %s)", n, strings.Join(ruleset.Names(), " or "))
		}
	}
	urls, err := namedValues(o.urls, "--url", false)
	if err != nil {
		return err
	}
	sums, err := namedValues(o.sums, "--sha256", true)
	if err != nil {
		return err
	}
	for name, v := range sums {
		h, err := ruleset.ParseSHA256(v)
		if err != nil {
			return usageError{err}
		}
		sums[name] = h
	}
	ver, _, _ := buildInfo()
	opt := ruleset.Options{
		Dir:       dir,
		Timeout:   o.timeout,
		UserAgent: "exhunt/" + ver,
		Progress: func(format string, args ...any) {
			g.log.Info(fmt.Sprintf(format, args...))
		},
	}

	var installed []ruleset.Installed
	var failed []error
	if o.from != "" {
		if len(o.only) > 0 || len(urls) > 0 {
			return usagef("--from installs one archive: --only and --url do not apply")
		}
		src, ok := ruleset.Lookup(o.set)
		if !ok {
			if src, err = ruleset.DetectSource(o.from); err != nil {
				return usageError{err}
			}
		}
		opt.SHA256 = pickSum(sums, src.Name)
		in, err := ruleset.InstallFile(src, o.from, opt)
		if err != nil {
			return usageError{err}
		}
		installed = append(installed, in)
	} else {
		if _, single := sums[""]; single && len(o.only) != 1 {
			return usagef("--sha256 HEX needs one set (--only NAME or --from); use --sha256 NAME=HEX")
		}
		for name := range urls {
			if _, ok := ruleset.Lookup(name); !ok {
				return usagef("--url: unknown rule set %q", name)
			}
		}
		for _, src := range ruleset.Defaults() {
			if len(o.only) > 0 && !slices.Contains(o.only, src.Name) {
				continue
			}
			if u, ok := urls[src.Name]; ok {
				src.URL = u
			}
			opt.SHA256 = pickSum(sums, src.Name)
			in, err := ruleset.Update(cmd.Context(), src, opt)
			if err != nil {
				if errors.Is(err, cmd.Context().Err()) && cmd.Context().Err() != nil {
					return err
				}
				failed = append(failed, err)
				fmt.Fprintf(g.stderr, "exhunt: %v\n", err)
				continue
			}
			installed = append(installed, in)
		}
	}
	for _, in := range installed {
		fmt.Fprintf(g.stdout, "%s %s installed: %d %s rules from %d files, %d not usable; SHA-256 %s (%s)\n",
			in.Name, versionLabel(in.Version), in.Rules, kindLabel(in.Kind), in.Files, len(in.Unusable), in.SHA256, in.Checksum)
	}
	if len(installed) > 0 {
		fmt.Fprintf(g.stdout, "installed in %s; exhunt rules list shows the unusable rules and why\n", ruleset.RulesDir(dir))
	}
	if len(failed) > 0 {
		return usageError{fmt.Errorf("%d of %d rule sets not installed", len(failed), len(failed)+len(installed))}
	}
	return nil
}

// namedValues parses NAME=VALUE flags; with bare, a value without a name
// is kept under "".
func namedValues(vals []string, flag string, bare bool) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, val, ok := strings.Cut(v, "=")
		if !ok {
			if !bare {
				return nil, usagef("%s %q: want NAME=VALUE", flag, v)
			}
			name, val = "", v
		}
		if _, dup := out[name]; dup {
			return nil, usagef("%s given twice for %q", flag, name)
		}
		out[name] = val
	}
	return out, nil
}

func pickSum(sums map[string]string, name string) string {
	if s, ok := sums[name]; ok {
		return s
	}
	return sums[""]
}

func kindLabel(k ruleset.Kind) string {
	if k == ruleset.YARA {
		return "YARA"
	}
	return "Sigma"
}

func newRulesListCommand(g *globalOptions, dataDir *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the rule sets: built-in packs and installed community sets, with the rules that cannot be used",
		Long: `List every rule set exhunt hunts with: the built-in YARA and Sigma packs,
and each installed community set with its version, release date, source,
checksum status, rule counts, and every rule exhunt cannot use with the
reason (a YARA module exhunt lacks, a Sigma modifier, ...).

Examples:
  exhunt rules list
  exhunt rules list --format json

EXIT STATUS
  0  listed (also when no community set is installed)
  2  bad flags, or an unreadable data directory`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usagef("unknown --format %q (want text or json)", format)
			}
			dir, err := resolveDataDir(*dataDir)
			if err != nil {
				return err
			}
			sets, err := ruleset.List(dir)
			if err != nil {
				return usageError{err}
			}
			builtin, err := builtinSets()
			if err != nil {
				return err
			}
			if format == "json" {
				return writeIndented(g.stdout, map[string]any{"data_dir": dir, "builtin": builtin, "community": jsonfmt.NonNil(sets)})
			}
			writeRuleSets(g, dir, builtin, sets)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output format: text or json")
	return cmd
}

// builtinSet is one built-in pack in `exhunt rules list`.
type builtinSet struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Version  string `json:"version"`
	Rules    int    `json:"rules"`
	Unusable int    `json:"unusable"`
}

func builtinSets() ([]builtinSet, error) {
	ver, _, _ := buildInfo()
	c, lerrs, err := filecheck.New(filecheck.Options{})
	if err != nil {
		return nil, err
	}
	set, errs := rules.Builtin()
	return []builtinSet{
		{Name: "built-in YARA pack", Kind: "yara", Version: ver, Rules: c.RuleCount(), Unusable: len(lerrs)},
		{Name: "built-in Sigma pack", Kind: "sigma", Version: ver, Rules: set.Len(), Unusable: len(errs)},
	}, nil
}

func writeRuleSets(g *globalOptions, dir string, builtin []builtinSet, sets []ruleset.Installed) {
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "SET\tKIND\tVERSION\tDATE\tRULES\tUNUSABLE\tCHECKSUM")
	for _, b := range builtin {
		fmt.Fprintf(w, "%s\t%s\t%s\t-\t%d\t%d\tembedded in the binary\n", b.Name, b.Kind, b.Version, b.Rules, b.Unusable)
	}
	for _, s := range sets {
		released := "-"
		if !s.Published.IsZero() {
			released = s.Published.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", s.Name, s.Kind, versionLabel(s.Version), released, s.Rules, len(s.Unusable), s.Checksum)
	}
	w.Flush()
	if len(sets) == 0 {
		fmt.Fprintf(g.stdout, "\nNo community rule set installed in %s: run exhunt rules update.\n", ruleset.RulesDir(dir))
		return
	}
	for _, s := range sets {
		fmt.Fprintf(g.stdout, "\n%s: %s\n  from %s\n  SHA-256 %s, installed %s, %d files\n", s.Name, s.Path, oneLineCell(s.Source), s.SHA256, s.Installed.UTC().Format(time.RFC3339), s.Files)
		if len(s.Unusable) > 0 {
			fmt.Fprintf(g.stdout, "  not usable (%d):\n", len(s.Unusable))
			for _, p := range s.Unusable {
				fmt.Fprintf(g.stdout, "    %s\n", oneLineCell(p.String()))
			}
		}
	}
}

// versionLabel shows a set's version: its release tag, "local file" for
// --from, "unversioned" for an archive downloaded without a release.
func versionLabel(v string) string {
	if v == "" {
		return "unversioned"
	}
	return oneLineCell(v)
}

// oneLineCell keeps a value from a downloaded manifest on one printable
// line: control characters become spaces.
func oneLineCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, s)
}

// communityRules returns the installed sets' folders for a hunt, split by
// kind, and a version note for the results; none when the data directory
// holds none or cannot be found.
func communityRules(flag string) (yaraDirs, sigmaDirs []string, note string, err error) {
	dir, err := resolveDataDir(flag)
	if err != nil {
		return nil, nil, "", nil // no data directory: nothing installed
	}
	sets, err := ruleset.List(dir)
	if err != nil {
		return nil, nil, "", usageError{err}
	}
	var notes []string
	for _, s := range sets {
		switch s.Kind {
		case ruleset.YARA:
			yaraDirs = append(yaraDirs, s.Path)
		case ruleset.Sigma:
			sigmaDirs = append(sigmaDirs, s.Path)
		}
		notes = append(notes, s.Name+" "+versionLabel(s.Version))
	}
	return yaraDirs, sigmaDirs, strings.Join(notes, ", "), nil
}
