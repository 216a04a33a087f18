// Package escpos speaks the ESC/POS dialect of Chinese 58/80 mm thermal
// receipt printers: an Encoder that writes commands to an io.Writer with a
// sticky error, the text rules that decide what the printer can show
// (two-byte GB18030 in Chinese mode, FS &), and a Decoder that turns any byte
// stream back into named commands — naming every sequence it does not know.
//
// Command bytes follow the common printer manuals (SPRT, SureProint and Epson
// compatibles) summarised in the project's fact sheet
// shared/reference/escpos.md; the Epson "ESC/POS Command Reference" is the
// upstream description:
// https://download4.epson.biz/sec_pubs/pos/reference_en/escpos/index.html
//
// Only the commands QR Stand needs are encoded. The decoder knows those plus
// a few harmless ones (CR, HT) so that it can judge foreign streams.
package escpos
