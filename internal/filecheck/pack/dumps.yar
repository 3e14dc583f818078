/*
 * exhunt default pack: credential dumps and staged archives (post-
 * exploitation of the 2021 Exchange waves). See webshells.yar for the
 * external variables.
 */

private rule Minidump {
	condition:
		uint32(0) == 0x504D444D // "MDMP"
}

rule LSASS_Minidump {
	meta:
		description = "Memory dump of LSASS (named lsass, or listing lsasrv.dll among its modules)"
		severity = "critical"
		attack = "T1003.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/ (procdump -ma lsass.exe C:\\windows\\temp\\lsass.dmp)"
	strings:
		$m1 = "lsasrv.dll" nocase wide
		$m2 = "\\lsass.exe" nocase wide
	condition:
		Minidump and (filename icontains "lsass" or any of them)
}

rule Minidump_In_Root_Or_Temp {
	meta:
		description = "Memory dump in a drive root, Windows\\Temp or a user temp folder, where attackers leave credential dumps"
		severity = "high"
		attack = "T1003.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/25/analyzing-attacks-taking-advantage-of-the-exchange-server-vulnerabilities/"
	condition:
		Minidump and not LSASS_Minidump and (
			filepath matches /^\\[^\\]+$/ or
			filepath matches /^\\([^\\]+\\)?[a-z](:|\$)?\\[^\\]+$/i or
			filepath matches /^\\([^\\]+\\)?[a-z](:|\$)?\\root\\/i or
			filepath icontains "\\windows\\temp\\" or
			filepath matches /\\appdata\\local\\temp\\/i)
}

rule Large_Minidump {
	meta:
		description = "Full memory dump (over 20 MB) in a web-facing or staging folder"
		severity = "medium"
		attack = "T1003.001"
		reason = "full process dumps outside the crash-dump folders are often credential theft"
	condition:
		Minidump and filesize > 20MB and not LSASS_Minidump and not Minidump_In_Root_Or_Temp and
		not filepath icontains "\\Microsoft\\Windows\\WER\\"
}

rule Archive_In_Staging_Folder {
	meta:
		description = "7z, RAR or ZIP archive (by magic bytes) in ProgramData or a web-facing folder: staging for exfiltration"
		severity = "high"
		attack = "T1560.001"
		reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/ (7-Zip/WinRAR archives in C:\\ProgramData)"
	condition:
		(uint32(0) == 0xAFBC7A37 and uint16(4) == 0x1C27 or  // 7z BC AF 27 1C
		 uint32(0) == 0x21726152 and uint16(4) == 0x071A or  // Rar! 1A 07
		 uint32(0) == 0x04034B50) and                        // PK 03 04
		not extension matches /^\.(xap|docx|xlsx|pptx|jar|nupkg|vsix|appx|msix|xpi|crx|whl)$/ and (
			filepath matches /\\ProgramData\\[^\\]+$/i or
			filepath matches /\\ProgramData\\[^\\]+\\[^\\]+$/i and not filepath icontains "\\ProgramData\\Microsoft\\" or
			filepath icontains "\\aspnet_client\\" or
			filepath icontains "\\inetpub\\wwwroot\\" or
			filepath matches /\\HttpProxy\\(owa|ecp|oab)\\/i or
			filepath matches /\\ClientAccess\\(owa|ecp|oab)\\/i)
}
