// Package filecheck is the file-hunting detector of `exhunt hunt`: it
// decides which files of an evidence tree are worth reading (for a
// server's tree, the web-facing IIS and Exchange folders, drive roots,
// temp folders and ProgramData; for a folder of collected files, all of
// them: ServerLayout tells the two apart) and turns one file's bytes into
// findings.
//
// Detections are data. The web-shell rules (pack/webshells.yar: China
// Chopper and its JScript/C# variants, XSLT shells, command, SQL and file
// consoles such as ASPXSpy, Behinder/Godzilla/AntSword/SharPyShell
// loaders, reGeorg-style tunnels, sniffers, Chopper custom servers,
// web.config shells), the Exchange-aware checks (pages in aspnet_client,
// non-stock pages in owa\auth and ecp\auth, virtual-directory settings
// dumps carrying script, PST exports saved as pages), LSASS minidumps,
// staged 7z/RAR/ZIP archives and ProcDump, Nishang, PowerCat and Covenant
// artefacts are YARA rules in the embedded pack (pack/*.yar) that use the
// external variables filename, filepath and extension. Published hashes
// and web-shell file names of the 2021 Exchange waves are CSV data under
// iocs/ (see iocs/SOURCES.md). Users add YARA rule folders (signature-base,
// NSA, the community sets of package ruleset) unchanged.
//
// It does not walk evidence, read files, correlate findings with logs or
// set a finding's kind, time or outcome: package hunt does that and calls
// a *Checker through its FileDetector interface. It never writes.
package filecheck

//go:generate bash iocs/gen.sh ../../../shared/corpus
