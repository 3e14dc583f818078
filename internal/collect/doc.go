// Package collect builds a verifiable triage bundle of one Exchange server:
// it finds what `exhunt hunt` reads on a live Windows system or on a copied
// or mounted C:\ tree (IIS logs from the folders applicationHost.config
// names, Exchange logs, event logs, web-facing folders, ProgramData and temp
// folders, web.config files, ExSetup.exe), estimates the size, streams each
// file into a zip64 archive while hashing it, and writes manifest.json (per
// file: original path, size, timestamps as found, SHA-256; what was skipped
// and why), a collection log and a .sha256 of the bundle beside it. Verify
// checks a bundle against its manifest.
//
// Evidence is only read: files are opened read-only, never inside a tree
// the bundle is written to. Windows paths are matched case-insensitively
// whatever the host OS, so a copy of C:\ taken on Linux is read as Windows
// would read it. The Windows API layer (registry, event log export, admin
// check, NTFS times) sits in build-tagged files; everything else is
// portable and tested on Linux.
//
// ExSetup.exe's file version (internal/peversion) is recorded in the
// manifest. It does not hunt: internal/hunt reads bundles, with the
// manifest's times and original paths.
package collect
