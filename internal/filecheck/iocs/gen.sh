#!/usr/bin/env bash
# gen.sh CORPUS: regenerate hashes.csv and names.csv from the shared corpus
# copies of the published indicator sets (see SOURCES.md for licenses).
# Run from internal/filecheck: go generate ./internal/filecheck
set -euo pipefail
C=${1:-../../../shared/corpus}
out=$(dirname "$0")
A="$C/actor-iocs"
mstic="$A/azure-sentinel-mstic/Sample Data/Feeds/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv"

{
	# hash,type,name,source
	awk -F, '$4=="sha256"{print tolower($3)",sha256,,mstic-march2021"}' "$mstic"
	# ESET lists the same 23 samples as samples.sha256, .sha1 and .md5 (the
	# README's table, 23 rows); the SHA-256 list alone finds them all, and a
	# hunt then needs no SHA-1 or MD5 of every file.
	grep -Eio '^[0-9a-f]{64}' "$A/eset-malware-ioc/exchange_exploitation/samples.sha256" |
		awk '{print tolower($0)",sha256,,eset-exchange-exploitation"}'
	grep -Eo '"[0-9a-f]{64}"' "$A/cisa-chirp-aa21-062a/indicators/AA21-062A/AA21062A.yaml" |
		tr -d '"' | awk '{print $0",sha256,,cisa-aa21-062a"}'
	grep -Eio '^[0-9a-f]{64}' "$C/scs-labs-hafnium-iocs/indicators/hashes" |
		awk '{print tolower($0)",sha256,,scs-labs-hafnium"}'
	grep -Ei 'hafnium|exchange|proxyshell|chopper|proxylogon' "$C/signature-base/iocs/hash-iocs.txt" |
		awk -F';' '{n=$2; gsub(/,/, " ", n); sub(/ +https?:.*/, "", n); sub(/ *- *$/, "", n); l=length($1);
			t=(l==64?"sha256":(l==40?"sha1":"md5")); print tolower($1)","t","n",signature-base"}'
} | awk -F, '
	{ k=$1; if (!(k in src)) { order[++n]=k; typ[k]=$2; name[k]=$3; src[k]=$4 }
	  else { if (index(src[k], $4)==0) src[k]=src[k]";"$4; if (name[k]=="") name[k]=$3 } }
	END { print "hash,type,name,source"; for (i=1;i<=n;i++) { k=order[i]; print k","typ[k]","name[k]","src[k] } }
' >"$out/hashes.csv"

{
	# folder,name,source: folder is the lower-case tail of the file's folder.
	grep ',filepath,' "$mstic" | cut -d, -f3 | tr '\\' '/' |
		awk '{n=split($0,p,"/"); f=""; for (i=1;i<n;i++) f=f tolower(p[i])"/";
			sub(/^.*frontend\/httpproxy\//, "httpproxy/", f); sub(/^.*inetpub\/wwwroot\//, "wwwroot/", f);
			sub(/^c:\//, "", f); print f","p[n]",mstic-march2021"}'
	sed 's/\\_/_/g; s/\r//' "$C/scs-labs-hafnium-iocs/indicators/webshell_names" | grep -E '\.aspx$' |
		awk '{print "aspnet_client/,"$0",scs-labs-hafnium"; print "owa/auth/,"$0",scs-labs-hafnium"}'
	grep -E '^\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\(system_web\\\\)?[A-Za-z0-9_]+\\\.aspx;' "$C/signature-base/iocs/filename-iocs.txt" |
		sed -E 's/;.*//; s/\\\\/\//g; s/\\\././; s/^\/inetpub\/wwwroot\///' |
		awk '{n=split($0,p,"/"); f=""; for (i=1;i<n;i++) f=f tolower(p[i])"/"; print f","p[n]",signature-base"}'
} | awk -F, '
	$2=="" || $2 ~ /\.log$/ || $2 ~ /\.exe$/ { next }
	{ k=$1","tolower($2); if (!(k in src)) { order[++n]=k; nm[k]=$2; src[k]=$3 } else if (index(src[k], $3)==0) src[k]=src[k]";"$3 }
	END { print "folder,name,source"; for (i=1;i<=n;i++) { k=order[i]; split(k,p,","); print p[1]","nm[k]","src[k] } }
' >"$out/names.csv"
