package scan

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// ntlmNegotiate is an anonymous NTLM NEGOTIATE_MESSAGE (Type 1), the one
// nuclei's ntlm-directories template sends; the answer names the server.
const ntlmNegotiate = "NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA="

// NTLMInfo is what an NTLM CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) reveals
// about the server without any credentials.
type NTLMInfo struct {
	TargetName      string `json:"target_name,omitempty"`
	NetBIOSDomain   string `json:"netbios_domain,omitempty"`
	NetBIOSComputer string `json:"netbios_computer,omitempty"`
	DNSDomain       string `json:"dns_domain,omitempty"`
	DNSComputer     string `json:"dns_computer,omitempty"`
	DNSTree         string `json:"dns_tree,omitempty"`
	OSVersion       string `json:"os_version,omitempty"` // e.g. 10.0.17763
}

var errNTLM = errors.New("scan: not an NTLM challenge")

// ParseNTLMChallenge decodes a WWW-Authenticate value "NTLM <base64>".
// It never panics and rejects messages over 8 KiB.
func ParseNTLMChallenge(h string) (*NTLMInfo, error) {
	v, ok := strings.CutPrefix(strings.TrimSpace(h), "NTLM ")
	if !ok {
		return nil, errNTLM
	}
	v = strings.TrimSpace(v)
	if len(v) > 11000 {
		return nil, fmt.Errorf("%w: too long", errNTLM)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNTLM, err)
	}
	return decodeChallenge(b)
}

func decodeChallenge(b []byte) (*NTLMInfo, error) {
	if len(b) < 48 || string(b[:8]) != "NTLMSSP\x00" || binary.LittleEndian.Uint32(b[8:]) != 2 {
		return nil, errNTLM
	}
	field := func(off int) ([]byte, error) {
		l := int(binary.LittleEndian.Uint16(b[off:]))
		o := int(binary.LittleEndian.Uint32(b[off+4:]))
		if l == 0 {
			return nil, nil
		}
		if o < 0 || o > len(b) || l > len(b)-o {
			return nil, fmt.Errorf("%w: field out of bounds", errNTLM)
		}
		return b[o : o+l], nil
	}
	info := &NTLMInfo{}
	tn, err := field(12)
	if err != nil {
		return nil, err
	}
	info.TargetName = fromUTF16(tn)
	flags := binary.LittleEndian.Uint32(b[20:])
	ti, err := field(40)
	if err != nil {
		return nil, err
	}
	if flags&0x02000000 != 0 && len(b) >= 56 { // NTLMSSP_NEGOTIATE_VERSION
		info.OSVersion = fmt.Sprintf("%d.%d.%d", b[48], b[49], binary.LittleEndian.Uint16(b[50:]))
	}
	for len(ti) >= 4 {
		id := binary.LittleEndian.Uint16(ti)
		l := int(binary.LittleEndian.Uint16(ti[2:]))
		if id == 0 || l > len(ti)-4 {
			break
		}
		v := ti[4 : 4+l]
		switch id {
		case 1:
			info.NetBIOSComputer = fromUTF16(v)
		case 2:
			info.NetBIOSDomain = fromUTF16(v)
		case 3:
			info.DNSComputer = fromUTF16(v)
		case 4:
			info.DNSDomain = fromUTF16(v)
		case 5:
			info.DNSTree = fromUTF16(v)
		}
		ti = ti[4+l:]
	}
	return info, nil
}

func fromUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return strings.ToValidUTF8(string(utf16.Decode(u)), "?")
}
