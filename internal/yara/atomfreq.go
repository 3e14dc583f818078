package yara

// commonGrams are the 512 most frequent lower-case 4-byte sequences (with
// at least two letters) of ordinary web application files: every file of
// the shared corpus's benign sets (mojoPortal's pages, mono xsp's test
// pages, Exchange's IIS configuration from CSS-Exchange, jQuery), counted
// over all their bytes, most frequent first. Such a window ("serv", "file", "tion") is a
// poor prefilter atom: it occurs all over the files a web-shell hunt
// reads, and every occurrence costs a verification. atomQuality scores
// them down so a rarer window of the same literal is chosen. Only atom
// choice depends on it, never a match.
const commonGrams = "" +
	"tionserververver=\"seid=\"ver\"\"sert=\"srunaunatnat= runat=\"er\"  id=" +
	"cont\" ruatioasp:namefilesiontypeion=<asplassclasporton=\"ontess=\"" +
	"catiass=ntenicatortartaltentme=\"sourourcurcealseresofalsame=text" +
	"esou nammimelabeabel=\"fapane\"fallse\"chantal:angehangcrosmicricro" +
	"softrosoosofableype=pe=\"exchxchatinganeladd  fildatase\" <add <ad" +
	"itementidulemoduodulion rcesctionablenabl idextextenauthcsscscla" +
	"ssclpage conettisettsitettinensinsiovalu valtensalueoft.<porasse" +
	"linkssemsembembl cssheadth=\" enamblyemapversersilateetyptemp\" cs" +
	"confonfirsiomentnfigplat veremplmpladenteextileeleext.exel itime" +
	"listapplmodepath.excthenft.escringe.ticad=\"lplicstemimetmety cla" +
	"licaelabr\" c mimformnticsystysteuthehents=\"spplimap ed=\"ath=\\mic" +
	"\" mimemaap f <mi<mimimemp fibledhandandlontrndletrolntro rescode" +
	"lue=ue=\"ringtruehttp pat</asent dlerd nacripript=\"trdd nstat/asp" +
	"mojoe=\"aentad=\"p.webevalfunctem.key=iteley=\"nctiunctled= <asext=" +
	"turnstrie=\"mretueturtelasp:l\" cod=\"fendediv>er\"> typbodyingsture" +
	"val(ding\" id\"set\"truwrapviewent\"=\"morue\"le\" econctorate> theelem" +
	"trinpubl</diubli<div/dive=\"fnel  texsp:cedit.resbindnel>itiofaul" +
	"aultdefaefaudatependcesslickdiv blictokeokenbuttuttottone=\"sbel\"" +
	"thisilesces.\"appatedes\" e\" r=\"apindid=\"mthe ickeink p:lindenepen" +
	"evend=\"tnt\" erpaurn depe=\"mirate\"micrequadering dititassntasbly>" +
	"dminadmibel sp:tinnennerpostventdll\" pubion(ltur.dllerlicultultu" +
	"</po/porhelpvalickeyion/le=\"keytxt=\"outehtmluteralid forytokeyto" +
	"ken=ue\" ure=nge erboion>=\"pnuntiinteappe\"pnl dattateecti cule=\"c" +
	"al(\" ser:sitel\" ntimerwrule\"user prengrorwrap:sitoryrbodlderster" +
	"\" teisapsapi31bf1bf3bf3856ad6ad3ad36mp:sp:coidatruntv clem.wiv c" +
	"lidam.weoldep:teield:confielwindionsppere seeadeindellowrappmage" +
	"if (on eimagodebvicecondgrou.datprogrogrplacrouplacecomps\\miervi" +
	"hrefrecoecurrvicate=te=\"<mp:lienientumensecu eleondiclienditecto" +
	"\" vatemtram allogratn enentpemtemtemrecttegr\" paountentsref=nteg" +
	"e.cocounegraes\\mquerge s\\exc\" pr hreograweb.ueryrityevergramrati" +
	"\\prom fitite.conc:\\p:\\pram fles\\oft\\ft\\et\\exver\\er\\vr\\v1irecge.c" +
	"on\" uritcuriverbe=\"tevie=\"foremodireaceheridprec\" tying\"ingremod"

var commonGramSet = func() map[[atomLen]byte]bool {
	m := make(map[[atomLen]byte]bool, len(commonGrams)/atomLen)
	for i := 0; i+atomLen <= len(commonGrams); i += atomLen {
		m[[atomLen]byte([]byte(commonGrams[i:i+atomLen]))] = true
	}
	return m
}()
