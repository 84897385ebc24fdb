/* certgen --mmdb: MaxMind DB files (country or ASN layout) for the GeoIP tests.
 *
 *   certgen --mmdb OUT.mmdb country CIDR=CC...            {"country": {"iso_code": CC}}
 *   certgen --mmdb OUT.mmdb asn CIDR=ASN:ORGANISATION...  autonomous_system_number/_organization
 *
 * Networks are inserted in argument order (shorter prefixes before longer ones
 * inside them). The file is a function of the arguments only (fixed build_epoch). */
#ifndef CERTGEN_GEODB_H
#define CERTGEN_GEODB_H

/* argv[0] certgen, argv[1] "--mmdb", then OUT, KIND, networks. Exit status: 0 ok,
 * 1 write failure, 2 usage. */
int geodb_main(int argc, char **argv);

#endif
