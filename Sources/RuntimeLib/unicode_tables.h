// Declarations of the generated Unicode tables in unicode_tables.c (see scripts/gen_unicode_tables.py) and
// unicode_bert_tables.c (scripts/gen_unicode_bert_tables.py), unicode_grapheme_tables.c
// (scripts/gen_unicode_grapheme_tables.py).
// Only unicode.c reads them; everything else goes through unicode.h.
#ifndef LLMC_UNICODE_TABLES_H
#define LLMC_UNICODE_TABLES_H
#include <stdint.h>

extern const uint32_t unicode_class_run_count;
extern const uint8_t unicode_ascii_flags[128];
extern const uint32_t unicode_class_run_start[];
extern const uint8_t unicode_class_run_flags[];
extern const uint32_t unicode_ccc_run_count;
extern const uint32_t unicode_ccc_run_start[];
extern const uint8_t unicode_ccc_run_value[];
extern const uint32_t unicode_decomp_count;
extern const uint32_t unicode_decomp_cp[];
extern const uint16_t unicode_decomp_offset[];
extern const uint8_t unicode_decomp_length[];
extern const uint32_t unicode_decomp_pool[];
extern const uint32_t unicode_comp_count;
extern const uint64_t unicode_comp_key[];
extern const uint32_t unicode_comp_value[];

extern const uint32_t unicode_bert_run_count;
extern const uint8_t unicode_bert_ascii_flags[128];
extern const uint32_t unicode_bert_run_start[];
extern const uint8_t unicode_bert_run_flags[];
extern const uint32_t unicode_lower_count;
extern const uint32_t unicode_lower_cp[];
extern const uint16_t unicode_lower_offset[];
extern const uint8_t unicode_lower_length[];
extern const uint32_t unicode_lower_pool[];
extern const uint32_t unicode_grapheme_run_count;
extern const uint32_t unicode_grapheme_run_start[];
extern const uint8_t unicode_grapheme_run_value[];

#endif
