/*
 * exhunt default pack: post-exploitation tools seen after the 2021
 * Exchange compromises: Sysinternals ProcDump, Nishang, PowerCat and
 * Covenant. See webshells.yar for the external variables.
 */

rule ProcDump_Binary {
	meta:
		description = "Sysinternals ProcDump in an examined folder (Hafnium dumped LSASS with it from C:\\root)"
		severity = "high"
		attack = "T1003.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
	strings:
		$p1 = "ProcDump" ascii wide
		$p2 = "Sysinternals" ascii wide
		$p3 = "-accepteula" nocase ascii wide
	condition:
		uint16(0) == 0x5A4D and (all of them or filename matches /^procdump(64)?a?\.exe$/i)
}

rule Nishang_PowerShellTcp {
	meta:
		description = "Nishang Invoke-PowerShellTcp reverse shell"
		severity = "high"
		attack = "T1059.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/ (Nishang Invoke-PowerShellTcpOneLine)"
	strings:
		$f = /function\s+Invoke-PowerShellTcp/ nocase ascii wide
		$t = "Net.Sockets.TCPClient" nocase ascii wide
		$g = ".GetStream()" nocase ascii wide
		$i1 = /\biex\b/ nocase ascii wide
		$i2 = "Invoke-Expression" nocase ascii wide
		$r = "PS " ascii wide
	condition:
		filesize < 1MB and ($f or ($t and $g and $r and any of ($i*)))
}

rule PowerCat {
	meta:
		description = "PowerCat (netcat in PowerShell), used by Hafnium for reverse shells"
		severity = "high"
		attack = "T1059.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/ (powercat from GitHub)"
	strings:
		$f = /function\s+powercat\b/ nocase ascii wide
		$d = "powercat.ps1" nocase ascii wide
		$h = "Setup_TCP" ascii wide
	condition:
		filesize < 2MB and ($f and $h or $d and $f)
}

rule Covenant_Grunt {
	meta:
		description = "Covenant C2 Grunt stager or implant"
		severity = "high"
		attack = "T1071.001"
		reference = "https://www.welivesecurity.com/2021/03/10/exchange-servers-under-siege-10-apt-groups/ (Covenant after Exchange exploitation)"
	strings:
		$g1 = "GruntStager" ascii wide
		$g2 = "CovenantCertHash" ascii wide
		$g3 = "CovenantURI" ascii wide
		$g4 = "ExecuteStager" ascii wide
		$g5 = "GruntHTTP" ascii wide
	condition:
		2 of them
}

rule Tool_Name_In_Scope {
	meta:
		description = "Post-exploitation tool by file name (procdump, nishang, powercat, Covenant, mimikatz)"
		severity = "medium"
		attack = "T1588.002"
		reason = "the file name is a known tool's; content rules did not confirm it"
	condition:
		filename matches /^(procdump(64)?a?\.exe|Invoke-PowerShellTcp(OneLine)?\.ps1|powercat\.ps1|GruntHTTP\.exe|GruntStager\.exe|Covenant\.exe|mimikatz\.exe|mimidrv\.sys|nc64?\.exe)$/i and
		not ProcDump_Binary and not Nishang_PowerShellTcp and not PowerCat and not Covenant_Grunt
}
