package emulator

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
)

// ChallengeMessage builds an NTLM CHALLENGE_MESSAGE (Type 2, MS-NLMP
// 2.2.1.2) as an Exchange front end sends it in WWW-Authenticate: NTLM ...
// to an anonymous NEGOTIATE_MESSAGE. Its TargetInfo AV pairs (MS-NLMP
// 2.2.2.1) name the NetBIOS and DNS computer and domain, and its Version
// (2.2.2.10) the Windows build: what nmap's http-ntlm-info decodes.
func ChallengeMessage(computer, domain string) []byte {
	nbDomain := upperFirstLabel(domain)
	fqdn := lower(computer) + "." + domain
	var info []byte
	av := func(id uint16, s string) {
		v := utf16le(s)
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	av(2, nbDomain)                                  // MsvAvNbDomainName
	av(1, upper(computer))                           // MsvAvNbComputerName
	av(4, domain)                                    // MsvAvDnsDomainName
	av(3, fqdn)                                      // MsvAvDnsComputerName
	av(5, domain)                                    // MsvAvDnsTreeName
	info = binary.LittleEndian.AppendUint16(info, 7) // MsvAvTimestamp
	info = binary.LittleEndian.AppendUint16(info, 8)
	info = binary.LittleEndian.AppendUint64(info, uint64(time.Date(2021, 3, 2, 0, 0, 0, 0, time.UTC).Unix()+11644473600)*10000000)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL

	target := utf16le(nbDomain)
	const hdr = 56
	msg := make([]byte, hdr, hdr+len(target)+len(info))
	copy(msg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(msg[8:], 2)
	binary.LittleEndian.PutUint16(msg[12:], uint16(len(target)))
	binary.LittleEndian.PutUint16(msg[14:], uint16(len(target)))
	binary.LittleEndian.PutUint32(msg[16:], hdr)
	// NEGOTIATE_UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | TARGET_TYPE_DOMAIN | EXTENDED_SESSIONSECURITY | TARGET_INFO | VERSION | 128 | 56
	binary.LittleEndian.PutUint32(msg[20:], 0xa2898205)
	copy(msg[24:32], []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88})
	binary.LittleEndian.PutUint16(msg[40:], uint16(len(info)))
	binary.LittleEndian.PutUint16(msg[42:], uint16(len(info)))
	binary.LittleEndian.PutUint32(msg[44:], uint32(hdr+len(target)))
	// Version: Windows Server 2019 (10.0.17763), NTLM revision 15.
	msg[48], msg[49] = 10, 0
	binary.LittleEndian.PutUint16(msg[50:], 17763)
	msg[55] = 15
	msg = append(msg, target...)
	return append(msg, info...)
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func upperFirstLabel(domain string) string {
	for i := 0; i < len(domain); i++ {
		if domain[i] == '.' {
			return upper(domain[:i])
		}
	}
	return upper(domain)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
