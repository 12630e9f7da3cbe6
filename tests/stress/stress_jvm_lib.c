// SPDX-License-Identifier: MIT
/* A forged libjvm.so (tests/stress/test_jvm_forged.sh): it exports the gHotSpotVM* variables
 * every HotSpot libjvm.so exports for debuggers, and stress_jvm fills them with whatever it
 * wants flamed to read. */
#include <stdint.h>

#define V(name) __attribute__((visibility("default"))) uint64_t name
V(gHotSpotVMStructs);
V(gHotSpotVMStructEntryArrayStride);
V(gHotSpotVMStructEntryTypeNameOffset);
V(gHotSpotVMStructEntryFieldNameOffset);
V(gHotSpotVMStructEntryTypeStringOffset);
V(gHotSpotVMStructEntryOffsetOffset);
V(gHotSpotVMStructEntryAddressOffset);
V(gHotSpotVMTypes);
V(gHotSpotVMTypeEntryArrayStride);
V(gHotSpotVMTypeEntryTypeNameOffset);
V(gHotSpotVMTypeEntrySizeOffset);
V(gHotSpotVMIntConstants);
V(gHotSpotVMIntConstantEntryArrayStride);
V(gHotSpotVMIntConstantEntryNameOffset);
V(gHotSpotVMIntConstantEntryValueOffset);
V(gHotSpotVMLongConstants);
V(gHotSpotVMLongConstantEntryArrayStride);
V(gHotSpotVMLongConstantEntryNameOffset);
V(gHotSpotVMLongConstantEntryValueOffset);

/* The variables in the order of the image's first words (tests/data/hotspot/vmstructs_image.py). */
uint64_t *const stress_jvm_vars[19] = {
	&gHotSpotVMStructs,
	&gHotSpotVMStructEntryArrayStride,
	&gHotSpotVMStructEntryTypeNameOffset,
	&gHotSpotVMStructEntryFieldNameOffset,
	&gHotSpotVMStructEntryTypeStringOffset,
	&gHotSpotVMStructEntryOffsetOffset,
	&gHotSpotVMStructEntryAddressOffset,
	&gHotSpotVMTypes,
	&gHotSpotVMTypeEntryArrayStride,
	&gHotSpotVMTypeEntryTypeNameOffset,
	&gHotSpotVMTypeEntrySizeOffset,
	&gHotSpotVMIntConstants,
	&gHotSpotVMIntConstantEntryArrayStride,
	&gHotSpotVMIntConstantEntryNameOffset,
	&gHotSpotVMIntConstantEntryValueOffset,
	&gHotSpotVMLongConstants,
	&gHotSpotVMLongConstantEntryArrayStride,
	&gHotSpotVMLongConstantEntryNameOffset,
	&gHotSpotVMLongConstantEntryValueOffset,
};
