import "pe"

rule Needs_PE_Module {
	condition:
		pe.number_of_sections > 2
}

rule Fine_After_Broken {
	strings:
		$a = "fine-marker"
	condition:
		$a
}
