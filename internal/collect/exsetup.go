package collect

import (
	"io"

	"github.com/exhunt/exhunt/internal/peversion"
)

// exsetupNote is the manifest's build_note when ExSetup.exe's version was
// read.
const exsetupNote = "exsetup_version is ExSetup.exe's file version (VS_FIXEDFILEINFO of its version resource), " +
	"read from the bytes in the bundle: for Exchange's own ExSetup.exe, the build the server runs (exhunt build tells its updates and CVEs)"

// readExSetup records ExSetup.exe's file version, or why it could not be
// read, in info.
func readExSetup(info *ExchangeInfo, r io.ReaderAt, size int64) {
	v, err := peversion.Read(r, size)
	if err != nil {
		info.ExSetupVersion, info.BuildNote = "", "ExSetup.exe's file version could not be read: "+err.Error()
		return
	}
	info.ExSetupVersion, info.BuildNote = v.String(), exsetupNote
}

// planExSetup reads the version of the ExSetup.exe the plan found, for
// the estimate; Write reads it again from the bytes it copies.
func (p *Plan) planExSetup(it Item) {
	f, err := p.sys.open(it.drive, it.rel)
	if err != nil {
		p.Exchange.BuildNote = "ExSetup.exe's file version could not be read: " + p.reason(err)
		return
	}
	defer f.Close()
	readExSetup(&p.Exchange, f, it.Size)
}
