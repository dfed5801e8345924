#ifndef WSTAP_CPCAP_SHIM_H
#define WSTAP_CPCAP_SHIM_H
// libpcap's public API; pcap/pcap.h also reads pcapng files transparently.
#include <pcap/pcap.h>
#endif
