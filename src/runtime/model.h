/* model.h - er_model: a loaded, read-only graph plus where it came from. */
#ifndef ER_RUNTIME_MODEL_H
#define ER_RUNTIME_MODEL_H

#include "ir/graph.h"

struct er_model {
    er_graph *graph;
    char *path; /* for messages; "<memory>" for buffers */
};

#endif
