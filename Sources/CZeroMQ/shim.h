// The one header PCBridge needs from libzmq.
#include <zmq.h>
