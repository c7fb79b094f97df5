/** A consumer of Corral: nothing but {@code requires dev.corral}. */
module consumer {
    requires dev.corral;
}
