#if canImport(Glibc)
import Glibc
func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
func Foundation_log(_ x: Double) -> Double { Glibc.log(x) }
#else
import Darwin
func Foundation_exp(_ x: Double) -> Double { Darwin.exp(x) }
func Foundation_log(_ x: Double) -> Double { Darwin.log(x) }
#endif
