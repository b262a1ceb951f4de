package io.postilion.bench.load;

/** One combination of the load parameters: N messages of S bytes with R recipients over at most C sessions. */
record LoadCase(int messages, int size, int recipients, int concurrency) {

    String label() {
        return "N=" + messages + " S=" + size + " R=" + recipients + " C=" + concurrency;
    }
}
